-- Grain state for Microsoft.Orleans.Persistence.AdoNet.
--
-- A grain is identified by (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1,
-- GrainIdExtensionString); the two hashes only make the index selective. Version is the
-- grain's ETag: every write is a compare-and-swap on it, and a statement that changes nothing
-- returns NULL (or no row), which Orleans turns into an InconsistentStateException.
-- Versions wrap from 2147483647 to 1 instead of overflowing: a busy grain may really write
-- that often, and Orleans only compares them for equality.

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NOT NULL
);

-- One row per grain, so two activations racing to create the same state cannot both succeed.
CREATE UNIQUE INDEX IF NOT EXISTS UX_OrleansStorage_Grain ON OrleansStorage
    (GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, ServiceId, GrainTypeString,
     COALESCE(GrainIdExtensionString, ''));

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey', '
    SELECT PayloadBinary, Version
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
      AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;'
),
(
    -- No ETag yet: insert version 1, unless a row already exists. An ETag: update that exact
    -- version.
    'WriteToStorageKey', '
    WITH updated AS (
        UPDATE OrleansStorage
        SET PayloadBinary = @PayloadBinary, ModifiedOn = now(), Version = Version % 2147483647 + 1
        WHERE @GrainStateVersion IS NOT NULL
          AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
          AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
          AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion
        RETURNING Version
    ), inserted AS (
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
             GrainIdExtensionString, ServiceId, PayloadBinary, Version)
        SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
               @GrainIdExtensionString, @ServiceId, @PayloadBinary, 1
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT DO NOTHING
        RETURNING Version
    )
    SELECT COALESCE((SELECT Version FROM updated), (SELECT Version FROM inserted)) AS NewGrainStateVersion;'
),
(
    -- Keeps the row (and so the version) with an empty payload.
    'ClearStorageKey', '
    UPDATE OrleansStorage
    SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version % 2147483647 + 1
    WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
      AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND Version = @GrainStateVersion
    RETURNING Version AS NewGrainStateVersion;'
),
(
    -- Used with DeleteStateOnClear: removes the row. Orleans wants a value different from the
    -- ETag back on success.
    'DeleteStorageKey', '
    DELETE FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
      AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND Version = @GrainStateVersion
    RETURNING Version % 2147483647 + 1 AS NewGrainStateVersion;'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
