/** The models GraphQL types resolve from (codegen maps `<Type>Mapper` to `<Type>`, see codegen.ts). */
export type { ParkDocument as ParkMapper } from './park-document.js';
