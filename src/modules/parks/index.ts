export type { ParkDocument } from './park-document.js';
export { parkResolvers } from './resolvers.js';
