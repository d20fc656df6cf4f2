-- The offers: the one grain state Rondevu persists (Rondevu.Silo/Database/PostgresOfferStore.cs).
--
-- One row per offer. payload is the offer's state in Orleans' binary serializer (format 1:
-- Rondevu.OfferState, whose [Id]s are the format); the other columns repeat what the peer and
-- topic grains, the topic index and the expiry sweep query for, so those grains persist nothing of
-- their own and a publish, an answer, a candidate post or a delete is exactly one row write.
-- version is the ETag: every write is a compare-and-swap on it, and a lost race makes Orleans
-- raise InconsistentStateException rather than overwrite. Versions wrap from 2147483647 to 1.

CREATE TABLE IF NOT EXISTS rondevu_offer
(
    service_id  text     NOT NULL,
    offer_id    text     NOT NULL,
    peer_id     text     NOT NULL,
    answerer_id text     NULL,
    topics      text[]   NOT NULL,
    expires_at  bigint   NOT NULL,
    version     integer  NOT NULL,
    format      smallint NOT NULL,
    payload     bytea    NOT NULL,
    CONSTRAINT pk_rondevu_offer PRIMARY KEY (service_id, offer_id)
);

-- fillfactor: room on each page for candidate posts to update in place (HOT: no index is touched).
-- toast_tuple_target: a row with two 1.5 KB SDPs and its candidates is 3-5 KB; PostgreSQL's default
-- (2 KB) would compress the payload and move it to the TOAST table on every write, costing CPU and
-- several TOAST rows per write. Rows now stay whole and uncompressed up to a page.
ALTER TABLE rondevu_offer SET (fillfactor = 70, toast_tuple_target = 8160);

CREATE INDEX IF NOT EXISTS ix_rondevu_offer_peer ON rondevu_offer (service_id, peer_id);
CREATE INDEX IF NOT EXISTS ix_rondevu_offer_answerer ON rondevu_offer (service_id, answerer_id) WHERE answerer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_rondevu_offer_topics ON rondevu_offer USING gin (topics);
CREATE INDEX IF NOT EXISTS ix_rondevu_offer_expiry ON rondevu_offer (service_id, expires_at);

-- Versions before 0.2 kept every grain's state in Orleans' generic table; none of it is needed now
-- (0.x promised no data across upgrades).
DROP TABLE IF EXISTS OrleansStorage;
DELETE FROM OrleansQuery WHERE QueryKey IN ('ReadFromStorageKey', 'WriteToStorageKey', 'ClearStorageKey', 'DeleteStorageKey');
