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
  "__hist1" AS (
  SELECT "__hist1_value", CAST(SUM("__hist1_rows") OVER (ORDER BY "__hist1_value" DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38,0)) AS "__hist1_running"
  FROM (
    SELECT "profit" AS "__hist1_value", COUNT(*) AS "__hist1_rows"
    FROM "rubric_0"
    WHERE "profit" IS NOT NULL
    GROUP BY "profit"
  ) AS "h"
  ),
  "__hist7" AS (
  SELECT "__hist7_value", CAST(SUM("__hist7_sum") OVER (ORDER BY "__hist7_value" DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38,6)) AS "__hist7_running"
  FROM (
    SELECT "revenue" AS "__hist7_value", COUNT(*) AS "__hist7_rows", SUM("revenue") AS "__hist7_sum"
    FROM "rubric_0"
    WHERE "revenue" IS NOT NULL
    GROUP BY "revenue"
  ) AS "h"
  ),
  "rubric_1" AS (
  SELECT
    *,
    "__hist1"."__hist1_running" AS "__num2",
    CAST(COUNT("profit") OVER () AS DECIMAL(38,0)) AS "__den3",
    "__hist7"."__hist7_running" AS "__num8",
    CAST(SUM("revenue") OVER () AS DECIMAL(38,6)) AS "__den9"
  FROM "rubric_0"
  LEFT JOIN "__hist1" ON "profit" = "__hist1"."__hist1_value"
  LEFT JOIN "__hist7" ON "revenue" = "__hist7"."__hist7_value"
  ),
  "rubric_2" AS (
  SELECT
    *,
    (CAST("__num2" AS HUGEINT) * CAST('10000000000000000' AS HUGEINT)) AS "__num4",
    NULLIF(CAST("__den3" AS HUGEINT), 0) AS "__den5",
    (CAST("__num8" * CAST('1000000' AS HUGEINT) AS HUGEINT) * CAST('10000000000000000' AS HUGEINT)) AS "__num10",
    NULLIF(CAST("__den9" * CAST('1000000' AS HUGEINT) AS HUGEINT), 0) AS "__den11"
  FROM "rubric_1"
  ),
  "rubric_3" AS (
  SELECT
    *,
    CASE WHEN "profit" IS NULL THEN NULL ELSE (CAST(("__num4" // "__den5" + CASE WHEN 2 * abs("__num4" % "__den5") >= abs("__den5") THEN CASE WHEN ("__num4" < 0) = ("__den5" < 0) THEN 1 ELSE -1 END ELSE 0 END) AS DECIMAL(38,0)) * CAST(0.0000000000000001 AS DECIMAL(38,16))) END AS "__pop6",
    CASE WHEN "revenue" IS NULL THEN NULL ELSE (CAST(("__num10" // "__den11" + CASE WHEN 2 * abs("__num10" % "__den11") >= abs("__den11") THEN CASE WHEN ("__num10" < 0) = ("__den11" < 0) THEN 1 ELSE -1 END ELSE 0 END) AS DECIMAL(38,0)) * CAST(0.0000000000000001 AS DECIMAL(38,16))) END AS "__pop12"
  FROM "rubric_2"
  ),
  "rubric_4" AS (
  SELECT
    *,
    "__pop6" AS "profit_rank_share",
    "__pop12" AS "revenue_cum"
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
