-- CreateTable
CREATE TABLE "case_state_counts" (
    "state" "CaseState" NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "case_state_counts_pkey" PRIMARY KEY ("state")
);

-- CreateIndex
CREATE INDEX "vetting_cases_lastSubmittedAt_id_idx" ON "vetting_cases"("lastSubmittedAt", "id");

-- CreateIndex
CREATE INDEX "vetting_cases_fullName_id_idx" ON "vetting_cases"("fullName", "id");

-- Written by hand (Prisma has no triggers): case_state_counts follows vetting_cases. Statement-level
-- triggers with transition tables, so a bulk insert (npm run seed) adds its counts once per statement.
-- Rows are upserted in state order, so two statements moving cases between the same states lock the
-- counters in the same order and cannot deadlock.
CREATE FUNCTION count_case_states() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO case_state_counts AS counts (state, count)
      SELECT state, count(*) FROM new_cases GROUP BY state ORDER BY state
      ON CONFLICT (state) DO UPDATE SET count = counts.count + EXCLUDED.count;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO case_state_counts AS counts (state, count)
      SELECT state, sum(delta) FROM (
        SELECT state, 1 AS delta FROM new_cases
        UNION ALL
        SELECT state, -1 AS delta FROM old_cases
      ) AS moves
      GROUP BY state HAVING sum(delta) <> 0 ORDER BY state
      ON CONFLICT (state) DO UPDATE SET count = counts.count + EXCLUDED.count;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO case_state_counts AS counts (state, count)
      SELECT state, -count(*) FROM old_cases GROUP BY state ORDER BY state
      ON CONFLICT (state) DO UPDATE SET count = counts.count + EXCLUDED.count;
  ELSE
    DELETE FROM case_state_counts;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER vetting_cases_count_inserts AFTER INSERT ON "vetting_cases"
  REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION count_case_states();
CREATE TRIGGER vetting_cases_count_updates AFTER UPDATE ON "vetting_cases"
  REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION count_case_states();
CREATE TRIGGER vetting_cases_count_deletes AFTER DELETE ON "vetting_cases"
  REFERENCING OLD TABLE AS old_cases FOR EACH STATEMENT EXECUTE FUNCTION count_case_states();
CREATE TRIGGER vetting_cases_count_truncate AFTER TRUNCATE ON "vetting_cases"
  FOR EACH STATEMENT EXECUTE FUNCTION count_case_states();
-- Tests empty tables with triggers switched off (session_replication_role = replica); an emptied
-- vetting_cases must still leave no counts behind.
ALTER TABLE "vetting_cases" ENABLE ALWAYS TRIGGER vetting_cases_count_truncate;

INSERT INTO case_state_counts (state, count)
  SELECT state, count(*) FROM "vetting_cases" GROUP BY state;
