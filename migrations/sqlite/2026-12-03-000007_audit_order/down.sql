-- Nothing changes on SQLite: its one writer appends in commit order already. The migration
-- exists so both backends' histories carry the same numbers (PostgreSQL's gives `seq` a
-- sequence).
SELECT 1;
