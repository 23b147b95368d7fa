"""KPIs per agent, group and shop, the quality review of every closed conversation, and the decision timeline.

Reads the records the gateway writes (:mod:`gateway.models`) plus its own (:mod:`kpis.models`); pure
definitions in :mod:`kpis.metrics`, :mod:`kpis.scores` and :mod:`kpis.quality`, queries in :mod:`kpis.queries`
and :mod:`kpis.reads`, daily rollups in :mod:`kpis.rollup`.
"""
