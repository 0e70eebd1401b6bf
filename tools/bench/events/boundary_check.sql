-- Where PostGIS and wangge differ (table disagree, from compare.py, joined to the events
-- table by id): is the point on the edge of the grid wangge chose (ST_Intersects without
-- ST_Contains), and how many grids does it touch (2: a shared edge, 3+: a vertex)?
-- One JSON object on stdout.
WITH d AS MATERIALIZED (
  SELECT d.id, d.kind, d.wangge,
         (SELECT count(*) FROM grids g WHERE ST_Intersects(g.geom, e.geom)) AS touching,
         (SELECT count(*) FROM grids g WHERE ST_Contains(g.geom, e.geom)) AS containing,
         EXISTS (SELECT 1 FROM grids g WHERE g.code = d.wangge AND ST_Intersects(g.geom, e.geom)
                   AND NOT ST_Contains(g.geom, e.geom)) AS on_edge_of_wangge_grid
  FROM disagree d JOIN events e USING (id))
SELECT json_build_object(
  'points', (SELECT count(*) FROM d),
  'by_kind', coalesce((SELECT json_object_agg(kind, c) FROM (SELECT kind, count(*) AS c FROM d GROUP BY kind) k), '{}'),
  'none_some_on_edge_of_wangge_grid',
      (SELECT count(*) FROM d WHERE kind = 'postgis_none_wangge_some' AND on_edge_of_wangge_grid AND containing = 0),
  'none_some_grids_touched',
      coalesce((SELECT json_object_agg(touching, c ORDER BY touching) FROM
        (SELECT touching, count(*) AS c FROM d WHERE kind = 'postgis_none_wangge_some' GROUP BY touching) t), '{}'));
