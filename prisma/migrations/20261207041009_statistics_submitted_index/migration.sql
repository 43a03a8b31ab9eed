-- CreateIndex
CREATE INDEX "vetting_cases_submittedAt_state_idx" ON "vetting_cases"("submittedAt", "state");
