/** A park as stored in the `parks` collection; `tenantId` is stamped by the data layer. */
export interface ParkDocument {
  _id: string;
  tenantId: string;
  name: string;
  region: string | null;
  capacity: number | null;
  createdAt: Date;
  updatedAt: Date;
}
