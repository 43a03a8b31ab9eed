-- AlterTable
ALTER TABLE "outbox_messages" ADD COLUMN     "language" TEXT;
