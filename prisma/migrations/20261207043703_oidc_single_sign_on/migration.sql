-- AlterTable
ALTER TABLE "staff_users" ADD COLUMN     "oidcIssuer" TEXT,
ADD COLUMN     "oidcLinkedAt" TIMESTAMPTZ(3),
ADD COLUMN     "oidcSubject" TEXT;

-- CreateTable
CREATE TABLE "oidc_sign_in_requests" (
    "id" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "binding" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "staffUserId" UUID,
    "linkTokenSealed" TEXT,
    "nextPath" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oidc_sign_in_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "oidc_sign_in_requests_state_key" ON "oidc_sign_in_requests"("state");

-- CreateIndex
CREATE INDEX "oidc_sign_in_requests_expiresAt_idx" ON "oidc_sign_in_requests"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "staff_users_oidcIssuer_oidcSubject_key" ON "staff_users"("oidcIssuer", "oidcSubject");
