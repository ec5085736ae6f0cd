DROP INDEX nodes_org_modify;
DROP INDEX nodes_sp_modify;
