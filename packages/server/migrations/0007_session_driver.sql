-- Which server process is driving a launch (`provisioning`/`starting`). Each process holds a
-- session-level advisory lock on (driver namespace, its key) for as long as it lives; when the
-- process dies, Postgres drops the lock with its connection, and any replica (or the restarted
-- server) can tell at once that the launch has no driver, instead of waiting out a timeout.
ALTER TABLE sessions ADD COLUMN driver_key integer;
