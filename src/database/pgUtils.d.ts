// The one module of pg's lib/ the portal imports directly (database/pgPool.ts); @types/pg has no
// declaration for it. pg's package.json exports lib/* for this.
declare module "pg/lib/utils.js" {
  /** pg's conversion of a query parameter to the text (or Buffer) it sends; null stays null. */
  export function prepareValue(value: unknown): string | Buffer | null;
}
