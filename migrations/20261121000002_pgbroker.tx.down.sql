DROP TABLE IF EXISTS pgbroker_nodes;
DROP TABLE IF EXISTS pgbroker_spill;
