/** The models GraphQL types resolve from (codegen maps `<Type>Mapper` to `<Type>`, see codegen.ts). */
export type { ReservationDocument as ReservationMapper } from './reservation-document.js';
