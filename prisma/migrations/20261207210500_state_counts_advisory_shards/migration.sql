-- Written by hand (Prisma has no functions). How a writer picks its counter row (a shard of its state's
-- count, 20261207032810_sharded_state_counts): it took the first shard no other transaction had locked
-- (SELECT … FOR UPDATE SKIP LOCKED). That still waited, now and then, for another writer's transaction
-- while locking a counter row: a few times in 30 000 moves of the bench, and in about one run in 40 of
-- the concurrent-writes test, as a wait on a transaction by a writer holding a counter row's tuple lock.
-- SKIP LOCKED skips a row locked when it looks; a row changing hands at that moment can still be waited
-- for.
--
-- Now the shard is chosen by a transaction-level advisory lock, which is only ever tried, never waited
-- for: shard 0, 1, 2, … until one is free. Every writer of the counts goes through this function, so
-- holding shard k's advisory lock means no other transaction writes row k until this one ends; Postgres
-- releases the advisory lock only after the transaction has committed or rolled back, so the next
-- holder finds the row's last writer finished. The row is then added to, or created, without waiting.
-- A transaction asking again for the same state gets the same shard (advisory locks are re-entrant).
-- The rows per state stay bounded by the most writers at one moment. Rows made by the earlier function
-- (random shard numbers) are summed like the others, as the queue always does.
CREATE OR REPLACE FUNCTION add_to_case_state_count(target "CaseState", delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  -- The advisory locks' first key names this counter and state; the second is the shard.
  lock_class constant integer := hashtext('case_state_counts ' || target::text);
  shard_number integer := 0;
BEGIN
  WHILE NOT pg_try_advisory_xact_lock(lock_class, shard_number) LOOP
    shard_number := shard_number + 1;
  END LOOP;
  INSERT INTO case_state_counts (state, shard, count)
    VALUES (target, shard_number, delta)
    ON CONFLICT (state, shard) DO UPDATE SET count = case_state_counts.count + EXCLUDED.count;
END;
$$;
