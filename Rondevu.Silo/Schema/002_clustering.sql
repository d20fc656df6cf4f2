-- Membership for Microsoft.Orleans.Clustering.AdoNet (silos) and its gateway list provider
-- (clients). DeploymentId is the Orleans ClusterId.
--
-- Every change to the member rows except the I-am-alive heartbeat bumps the single version
-- row of its deployment with a compare-and-swap on @Version; Orleans relies on that to order
-- membership changes. Each statement below is one SQL statement, so it is atomic on its own.

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0,
    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address      varchar(45)  NOT NULL,
    Port         integer      NOT NULL,
    Generation   integer      NOT NULL,
    SiloName     varchar(150) NOT NULL,
    HostName     varchar(150) NOT NULL,
    Status       integer      NOT NULL,
    ProxyPort    integer      NULL,
    SuspectTimes text         NULL,
    StartTime    timestamptz  NOT NULL,
    IAmAliveTime timestamptz  NOT NULL,
    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_Version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'InsertMembershipVersionKey', '
    WITH inserted AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM inserted);'
),
(
    -- The row of each deployment comes back even without members: Orleans reads the table
    -- version from it.
    'MembershipReadAllKey', '
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
    WHERE v.DeploymentId = @DeploymentId;'
),
(
    'MembershipReadRowKey', '
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m
        ON m.DeploymentId = v.DeploymentId
        AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;'
),
(
    -- The version moves only when the row is really new; the insert happens only when the
    -- version moved. A lost race on either leaves both untouched (bar a spurious version bump
    -- when two writers insert the same silo at once, which Orleans tolerates).
    'InsertMembershipKey', '
    WITH version AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = @DeploymentId AND Version = @Version
          AND NOT EXISTS (
              SELECT 1 FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId
                AND Address = @Address AND Port = @Port AND Generation = @Generation)
        RETURNING DeploymentId
    ), inserted AS (
        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort,
             StartTime, IAmAliveTime)
        SELECT DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
               @ProxyPort, @StartTime, @IAmAliveTime
        FROM version
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM inserted);'
),
(
    'UpdateMembershipKey', '
    WITH version AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = @DeploymentId AND Version = @Version
          AND EXISTS (
              SELECT 1 FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId
                AND Address = @Address AND Port = @Port AND Generation = @Generation)
        RETURNING DeploymentId
    ), updated AS (
        UPDATE OrleansMembershipTable m
        SET Status = @Status,
            SuspectTimes = @SuspectTimes,
            IAmAliveTime = GREATEST(m.IAmAliveTime, @IAmAliveTime)
        FROM version
        WHERE m.DeploymentId = version.DeploymentId
          AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM updated);'
),
(
    -- Heartbeats do not touch the version. GREATEST keeps a delayed, older heartbeat from
    -- moving the time backwards.
    'UpdateIAmAlivetimeKey', '
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address AND Port = @Port AND Generation = @Generation;'
),
(
    'GatewaysQueryKey', '
    SELECT Address, ProxyPort, Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;'
),
(
    'DeleteMembershipTableEntriesKey', '
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;'
),
(
    -- Fallback used only when CleanupDefunctSiloEntryKey is absent: dead (6) silos that have
    -- been silent since before the cut-off and carry no suspicion votes.
    'CleanupDefunctSiloEntriesKey', '
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime
      AND COALESCE(SuspectTimes, '''') = '''';'
),
(
    -- Orleans picks the rows to clean up itself and deletes each one only if it is still
    -- exactly as it read it, so a silo that changed in between is left alone.
    'CleanupDefunctSiloEntryKey', '
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address AND Port = @Port AND Generation = @Generation
      AND Status = 6
      AND StartTime = @StartTime
      AND IAmAliveTime = @IAmAliveTime
      AND SuspectTimes IS NOT DISTINCT FROM @SuspectTimes;'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
