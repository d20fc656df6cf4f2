-- Orleans ADO.NET providers look up every SQL statement they run by key in this table
-- ("SELECT QueryKey, QueryText FROM OrleansQuery"); each later script upserts its own keys.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
