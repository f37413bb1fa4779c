/** The models GraphQL types resolve from (codegen maps `<Type>Mapper` to `<Type>`, see codegen.ts). */
export type { ActiveTenant as TenantMapper } from '../../context.js';
