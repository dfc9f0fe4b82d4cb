-- The role the app servers connect as: read and write rows, nothing more.
-- Migrations, createcachetable and restores run as the database's owner;
-- the app's role owns nothing, so it cannot change the schema, disable the
-- audit trail's trigger, TRUNCATE a table, or change or remove an audit row
-- (clinics/0012_audit_append_only refuses UPDATE and DELETE for every role;
-- this takes the privileges away as well, and TRUNCATE, which no row
-- trigger sees). docs/deploy.md says how to use it; the test is
-- tests/deploy/test_database_role.py.
--
-- Run as the owner, after `manage.py migrate`, with the role already made
-- (CREATE ROLE crest_app LOGIN PASSWORD '...'):
--
--   psql "$OWNER_DATABASE_URL" -v app_role=crest_app -f deploy/postgres-app-role.sql
--
-- Run it again after a deploy whose migrations add tables only if the
-- owner changed: the default privileges below cover tables the same owner
-- makes later.

\set ON_ERROR_STOP on

GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

-- The audit trail: added to, read, never changed or removed.
REVOKE UPDATE, DELETE, TRUNCATE ON clinics_auditevent FROM :"app_role";
