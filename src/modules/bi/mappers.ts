/** The models GraphQL types resolve from (codegen maps `<Type>Mapper` to `<Type>`, see codegen.ts). */
export type { TrustedOperation as TrustedOperationMapper } from '../../bi/trusted-operations.js';
