// Record ids are UUIDs. Two questions asked of a string from outside:
//   isUuid           could it name a record (any case, as Postgres accepts it): route parameters, cursors
//   isCanonicalUuid  is it one as we write them (lower case): file names on disk, signed values, where
//                    two spellings of one id must never both be accepted
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isCanonicalUuid(value: string): boolean {
  return CANONICAL_UUID.test(value);
}
