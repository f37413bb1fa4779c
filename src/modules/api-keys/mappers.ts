/** The models GraphQL types resolve from (codegen maps `<Type>Mapper` to `<Type>`, see codegen.ts). */
export type { ApiKeyDocument as ApiKeyMapper } from '../../auth/api-key-document.js';
