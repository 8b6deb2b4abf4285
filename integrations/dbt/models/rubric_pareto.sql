-- rubric sql "二八法则与ABC分析" for duckdb, as of the date `--as-of-expr` gives
WITH
  "rubric_0" AS (
  SELECT
    "客户编号" AS "id",
    "客户名称" AS "name",
    CAST("销售额(元)" AS DECIMAL(38,6)) AS "revenue",
    CAST("毛利(元)" AS DECIMAL(38,6)) AS "profit"
  FROM {{ ref('customers') }} AS "rubric_input"
  ),
  "rubric_1" AS (
  SELECT
    *,
    CAST(COUNT(*) OVER (PARTITION BY ("profit" IS NULL) ORDER BY "profit" DESC) AS DECIMAL(38,0)) AS "__num1",
    CAST(COUNT("profit") OVER () AS DECIMAL(38,0)) AS "__den2",
    CAST(SUM("revenue") OVER (PARTITION BY ("revenue" IS NULL) ORDER BY "revenue" DESC) AS DECIMAL(38,6)) AS "__num6",
    CAST(SUM("revenue") OVER () AS DECIMAL(38,6)) AS "__den7"
  FROM "rubric_0"
  ),
  "rubric_2" AS (
  SELECT
    *,
    (CAST("__num1" AS HUGEINT) * CAST('10000000000000000' AS HUGEINT)) AS "__num3",
    NULLIF(CAST("__den2" AS HUGEINT), 0) AS "__den4",
    (CAST("__num6" * CAST('1000000' AS HUGEINT) AS HUGEINT) * CAST('10000000000000000' AS HUGEINT)) AS "__num8",
    NULLIF(CAST("__den7" * CAST('1000000' AS HUGEINT) AS HUGEINT), 0) AS "__den9"
  FROM "rubric_1"
  ),
  "rubric_3" AS (
  SELECT
    *,
    CASE WHEN "profit" IS NULL THEN NULL ELSE (CAST(("__num3" // "__den4" + CASE WHEN 2 * abs("__num3" % "__den4") >= abs("__den4") THEN CASE WHEN ("__num3" < 0) = ("__den4" < 0) THEN 1 ELSE -1 END ELSE 0 END) AS DECIMAL(38,0)) * CAST(0.0000000000000001 AS DECIMAL(38,16))) END AS "__pop5",
    CASE WHEN "revenue" IS NULL THEN NULL ELSE (CAST(("__num8" // "__den9" + CASE WHEN 2 * abs("__num8" % "__den9") >= abs("__den9") THEN CASE WHEN ("__num8" < 0) = ("__den9" < 0) THEN 1 ELSE -1 END ELSE 0 END) AS DECIMAL(38,0)) * CAST(0.0000000000000001 AS DECIMAL(38,16))) END AS "__pop10"
  FROM "rubric_2"
  ),
  "rubric_4" AS (
  SELECT
    *,
    "__pop5" AS "profit_rank_share",
    "__pop10" AS "revenue_cum"
  FROM "rubric_3"
  ),
  "rubric_5" AS (
  SELECT
    *,
    CASE WHEN ("profit_rank_share" <= CAST(0.20 AS DECIMAL(38,2))) THEN 'top20' WHEN TRUE THEN 'rest' END AS "pareto",
    CASE WHEN ("revenue_cum" <= CAST(0.70 AS DECIMAL(38,2))) THEN 'A' WHEN ("revenue_cum" <= CAST(0.90 AS DECIMAL(38,2))) THEN 'B' WHEN TRUE THEN 'C' END AS "abc"
  FROM "rubric_4"
  )
SELECT
  "id" AS "客户编号",
  "pareto",
  "abc"
FROM "rubric_5"
