// The schema's stable name, carried in payload metadata. Kept apart so workflow code need not import zod schemas.
export const LAB_ORDER = 'Example.LabOrder';
