-- 0002_jobs_delivery: what the delivery worker needs of the jobs table
-- (include/kith/db/jobs.hpp explains the queue; src/ap/delivery.cpp uses it).
--
-- * host: the authority (host[:port]) a job talks to, for the per-host cap on
--   deliveries in flight and for the per-host circuit breaker, which postpones
--   all of a host's queued jobs at once. NULL for jobs that talk to no host.
-- * lease_token: a fresh number from jobs_lease_token_seq each time a job is
--   claimed. complete/retry/fail/release act only when the token still matches,
--   so a worker that outlived its lease (the job was reclaimed and may be
--   running elsewhere) cannot overwrite what the new holder does.

ALTER TABLE jobs ADD COLUMN host text CHECK (host IS NULL OR (host <> '' AND host = lower(host)));
ALTER TABLE jobs ADD COLUMN lease_token bigint;
CREATE SEQUENCE jobs_lease_token_seq;

-- Postponing every queued job of one host (the circuit breaker opened).
CREATE INDEX jobs_queued_host_idx ON jobs (queue, host) WHERE state = 'queued';
-- Purging finished jobs after their retention time.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state IN ('done', 'failed');
