-- D4 asks "is there any node with modify below this SP/Org?" on every device write.
-- Indexes of only the modify nodes stay tiny whatever the tree's size, so every plan uses
-- them, including PostgreSQL's generic plans for prepared statements, which estimate
-- `sp_id = $1` from the column's statistics and would scan a large tenant otherwise.
CREATE INDEX nodes_sp_modify ON nodes (sp_id) WHERE device_provisioning = 'modify';
CREATE INDEX nodes_org_modify ON nodes (org_id) WHERE device_provisioning = 'modify';
