-- Issue 16 §2 (docs/adr/0242): a disputed payment suspends the license while the dispute is open; a dispute
-- lost for good revokes it. Both are facts refetched from Stripe's dispute object, like refunded_at.
ALTER TABLE licenses
  ADD COLUMN disputed_at timestamptz,
  ADD COLUMN dispute_lost_at timestamptz;
