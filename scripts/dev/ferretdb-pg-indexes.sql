-- FerretDB v1 on PostgreSQL pushes equality filters down as `_jsonb->'field' @> '<value>'`, but the indexes it
-- creates for MongoDB indexes (including `_id`) are btree indexes on `_jsonb->'field'`, which PostgreSQL cannot
-- use for `@>`: every query, even a lookup by `_id`, is a sequential scan. Measured with 30,000 documents: 16 ms
-- per findOne by `_id`, against 0.13 ms with a GIN index on the same expression.
--
-- So, in the private dev cluster only (production runs MongoDB), every index FerretDB creates gets a GIN
-- "companion" index per top-level field it covers, on exactly the expression FerretDB's filters use. An event
-- trigger does it as FerretDB creates its indexes; the backfill covers indexes made before the trigger existed.
-- Idempotent: run on every start.

-- Fields only sorted or compared by range (`$lt`, `sort`), which FerretDB does not push down: a companion
-- on them would only cost writes (measured: ingestion at 200 events/s, see README "Performance").
CREATE OR REPLACE FUNCTION switchboard_gin_wanted(field text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT field NOT IN ('createdAt', 'updatedAt') $$;

CREATE OR REPLACE FUNCTION switchboard_gin_companions_for(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  sch text;
  tbl text;
  idx text;
  field text[];
BEGIN
  SELECT ic.relname, n.nspname, t.relname INTO idx, sch, tbl
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE i.indexrelid = index_oid;
  IF idx IS NULL OR idx LIKE 'sbgin\_%' OR sch IN ('pg_catalog', 'information_schema', 'public') THEN
    RETURN;
  END IF;
  -- Top-level fields only (`_jsonb -> 'f'`); dotted paths (`#>`) are not queried by Switchboard.
  FOR field IN SELECT regexp_matches(pg_get_indexdef(index_oid), '_jsonb -> ''([^'']+)''::text', 'g') LOOP
    CONTINUE WHEN NOT switchboard_gin_wanted(field[1]);
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L)) WITH (fastupdate = off)',
      'sbgin_' || left(md5(sch || '.' || tbl || '.' || field[1]), 20),
      sch, tbl, field[1]
    );
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION switchboard_gin_companions() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    PERFORM switchboard_gin_companions_for(cmd.objid);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS switchboard_gin_companions;
CREATE EVENT TRIGGER switchboard_gin_companions ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION switchboard_gin_companions();

-- Backfill: indexes FerretDB created before this trigger existed (an older .data/postgres); and companions
-- of fields no longer wanted.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT n.nspname, c.relname, (regexp_match(pg_get_indexdef(c.oid), '_jsonb -> ''([^'']+)''::text'))[1] AS field
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'i' AND c.relname LIKE 'sbgin\_%'
  LOOP
    IF NOT switchboard_gin_wanted(r.field) THEN
      EXECUTE format('DROP INDEX IF EXISTS %I.%I', r.nspname, r.relname);
    END IF;
  END LOOP;
  FOR r IN
    SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public', 'pg_toast')
  LOOP
    PERFORM switchboard_gin_companions_for(r.indexrelid);
  END LOOP;
END $$;

-- With `LIMIT 1` (findOne), PostgreSQL's default selectivity for `@>` on an expression (about 1%: 1,000 rows of
-- 100,000) makes a sequential scan look cheaper than the index; measured: findOne by `_id` 47 ms at 100,000
-- documents, against 0.9 ms for the same lookup with two fields. Every filter Switchboard sends has a GIN
-- companion, so this database prefers indexes: a sequential scan is still used where no index applies.
ALTER DATABASE ferretdb SET enable_seqscan = off;
ALTER DATABASE ferretdb SET random_page_cost = 1.1;
