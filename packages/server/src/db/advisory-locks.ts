/**
 * The first half of every driver lock's two-part advisory key (see manager/driver-lease.ts).
 * Other advisory locks here use the one-part `hashtext('porthole.…')` form, a separate key space.
 */
export const DRIVER_LOCK_NAMESPACE = 0x50_48_44_52; // "PHDR"
