-- AlterTable
ALTER TABLE "case_state_counts" DROP CONSTRAINT "case_state_counts_pkey",
ADD COLUMN     "shard" INTEGER NOT NULL DEFAULT 0,
ADD CONSTRAINT "case_state_counts_pkey" PRIMARY KEY ("state", "shard");
ALTER TABLE "case_state_counts" ALTER COLUMN "shard" DROP DEFAULT;

-- Written by hand (Prisma has no triggers). One counter row per state made every application and every
-- state change wait for the previous transaction to commit: the row stayed locked until then. Now a
-- state has as many rows (shards) as writers ever needed at once, and the queue sums them when it reads.
-- A writer adds to the first shard no other transaction holds (FOR UPDATE SKIP LOCKED), and makes a new
-- shard only when all are held, so no writer ever waits for another's counter. The rows per state stay
-- bounded by the most transactions that ever wrote at the same moment (at most max_connections), not by
-- the number of cases. A shard the transaction already holds is not skipped: its own later statements
-- add to the same row. Any state of the CaseState enum works without a change here.
CREATE FUNCTION add_to_case_state_count(target "CaseState", delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  free_shard integer;
BEGIN
  LOOP
    SELECT shard INTO free_shard FROM case_state_counts
      WHERE state = target ORDER BY shard LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
      UPDATE case_state_counts SET count = count + delta WHERE state = target AND shard = free_shard;
      RETURN;
    END IF;
    -- Every shard is held by another transaction (or the state has none yet). A random number, not
    -- max + 1: two writers making a shard at the same moment would otherwise pick the same one and the
    -- second would wait for the first to commit. On the rare clash, look again.
    INSERT INTO case_state_counts (state, shard, count)
      VALUES (target, floor(random() * 2147483647)::integer, delta)
      ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN;
    END IF;
  END LOOP;
END;
$$;

-- As before, once per statement with the transition tables (a bulk insert adds its counts once), each
-- state's change now through add_to_case_state_count.
CREATE OR REPLACE FUNCTION count_case_states() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM case_state_counts;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    FOR change IN SELECT state, count(*)::integer AS delta FROM new_cases GROUP BY state LOOP
      PERFORM add_to_case_state_count(change.state, change.delta);
    END LOOP;
  ELSIF TG_OP = 'UPDATE' THEN
    FOR change IN
      SELECT state, sum(delta)::integer AS delta FROM (
        SELECT state, 1 AS delta FROM new_cases
        UNION ALL
        SELECT state, -1 AS delta FROM old_cases
      ) AS moves
      GROUP BY state HAVING sum(delta) <> 0
    LOOP
      PERFORM add_to_case_state_count(change.state, change.delta);
    END LOOP;
  ELSIF TG_OP = 'DELETE' THEN
    FOR change IN SELECT state, -count(*)::integer AS delta FROM old_cases GROUP BY state LOOP
      PERFORM add_to_case_state_count(change.state, change.delta);
    END LOOP;
  END IF;
  RETURN NULL;
END;
$$;
