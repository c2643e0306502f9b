-- An assignment can be cancelled (CancelAssignment): when, by whom and why. Its open stage
-- instances are then closed with status 'cancelled'.
ALTER TABLE assignments ADD COLUMN cancelled_at BIGINT;
ALTER TABLE assignments ADD COLUMN cancelled_by TEXT;
ALTER TABLE assignments ADD COLUMN cancel_reason TEXT;
