// rubric report: draws the page from the JSON in #rubric-data with Apache ECharts (inlined
// above). No network: everything the page needs is in the file.
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif';
  var data = JSON.parse(document.getElementById("rubric-data").textContent);
  var main = document.getElementById("report");
  var charts = [];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function shown(code, label) {
    return label && label !== code ? code + " " + label : code;
  }
  function grade_title(g) {
    return g.label && g.label !== g.name ? g.name + " " + g.label : g.name;
  }
  function pct(x) {
    return (Math.round(x * 1000) / 10).toFixed(1) + "%";
  }
  function section(title, note) {
    var s = el("section");
    s.appendChild(el("h2", null, title));
    if (note) s.appendChild(el("p", { "class": "note" }, note));
    main.appendChild(s);
    return s;
  }
  function table(parent, head, rows) {
    var t = el("table");
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c, i) {
        row.appendChild(el("td", typeof c === "number" && i > 0 ? { "class": "num" } : null, c));
      });
      t.appendChild(row);
    });
    parent.appendChild(t);
    return t;
  }
  function chart(parent, name, option, height) {
    var box = el("div", { "class": "chart", "data-chart": name });
    box.style.height = (height || 320) + "px";
    parent.appendChild(box);
    option.animation = false;
    option.textStyle = { fontFamily: FONT };
    var c = echarts.init(box, null, { renderer: "svg" });
    c.setOption(option);
    charts.push(c);
    return c;
  }

  // the run
  var head = section("运行概况 Run");
  var c = data.counts;
  var facts = [
    ["方案 scheme", data.scheme],
    ["数据 data", data.data],
    ["评估日期 as of", data.as_of],
    ["读取 rows read", c.read],
    ["写出 customers graded", c.written],
    ["拒绝 rejected", c.rejected]
  ];
  if (data.measure) facts.push(["度量 " + data.measure + " total", data.measure_total]);
  if (data.baseline) {
    facts.push(["基准 baseline", data.baseline.scheme]);
    facts.push(["变动客户 customers moved", data.baseline.moved]);
  }
  table(head, ["", ""], facts).setAttribute("class", "facts");

  // per grade: customers and measure per code
  data.grades.forEach(function (g) {
    var s = section(grade_title(g) + (g.tags ? "（标签 tags）" : ""));
    var names = g.codes.map(function (k) { return shown(k.code, k.label); });
    var counts = g.codes.map(function (k) { return k.customers; });
    var sums = g.codes.map(function (k) { return k.measure; });
    if (g.none.customers > 0) {
      names.push(g.tags ? "(无标签 no tag)" : "(无 none)");
      counts.push(g.none.customers);
      sums.push(g.none.measure);
    }
    var series = [{ name: "客户数 customers", type: "bar", data: counts, label: { show: true, position: "top" } }];
    var axes = [{ type: "value", name: "客户数" }];
    if (data.measure) {
      series.push({ name: data.measure, type: "bar", yAxisIndex: 1, data: sums, label: { show: true, position: "top" } });
      axes.push({ type: "value", name: data.measure });
    }
    chart(s, "grade:" + g.name, {
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
      yAxis: axes,
      series: series
    });
    var head = ["代码 code", "客户数 customers", "占比 share"];
    if (data.measure) head.push(data.measure, "占比 share");
    var total = data.measure_total || 0;
    table(s, head, names.map(function (n, i) {
      var r = [n, counts[i], c.written ? pct(counts[i] / c.written) : ""];
      if (data.measure) r.push(sums[i], total ? pct(sums[i] / total) : "");
      return r;
    }));
  });

  // the Pareto curve and each grade's cut lines
  if (data.pareto) {
    var p = data.pareto;
    var cuts = p.cuts.length ? p.cuts : [{ grade: "", thresholds: [], changes: [], mixed: false }];
    cuts.forEach(function (cut) {
      var title = "帕累托曲线 Pareto: " + p.measure + (cut.grade ? " — " + grade_title({ name: cut.grade, label: cut.label }) : "");
      var note = "横轴：按 " + p.measure + " 从大到小排列的客户占比；纵轴：累计占比。" +
        (cut.mixed ? " 该等级的代码沿曲线交替出现，未画分界线。" : "");
      var s = section(title, note);
      var lines = [];
      cut.thresholds.forEach(function (t) {
        var l = shown(t.code, t.label) + " " + t.kind + " ≤ " + pct(t.value);
        lines.push(t.kind === "top_share" ? { xAxis: t.value, name: l, label: { formatter: l, position: "insideEndTop" } }
          : { yAxis: t.value, name: l, label: { formatter: l, position: "insideEndTop" } });
      });
      cut.changes.forEach(function (ch) {
        var l = ch.from + " → " + ch.to;
        lines.push({ xAxis: ch.x, name: l, label: { formatter: l, position: "insideEndTop" }, lineStyle: { type: "dotted" } });
      });
      chart(s, "pareto:" + cut.grade, {
        tooltip: { trigger: "axis", valueFormatter: function (v) { return pct(v); } },
        xAxis: { type: "value", min: 0, max: 1, name: "客户占比", axisLabel: { formatter: pct } },
        yAxis: { type: "value", min: 0, max: 1, name: "累计 " + p.measure, axisLabel: { formatter: pct } },
        series: [{
          name: "累计占比", type: "line", showSymbol: false, data: p.points,
          markLine: { symbol: "none", silent: true, data: lines }
        }]
      }, 380);
      if (lines.length) {
        table(s, ["分界 cut", "客户占比 customers", "累计占比 cumulative"],
          cut.thresholds.map(function (t) {
            return [shown(t.code, t.label) + " " + t.kind + " ≤ " + pct(t.value),
              t.kind === "top_share" ? pct(t.value) : "", t.kind === "top_share" ? "" : pct(t.value)];
          }).concat(cut.changes.map(function (ch) { return [ch.from + " → " + ch.to, pct(ch.x), pct(ch.y)]; })));
      }
    });
  }

  // every score's histogram
  data.scores.forEach(function (sc) {
    var s = section("分布 Distribution: " + grade_title(sc),
      sc.missing ? sc.missing + " 位客户无分数 (missing)" : null);
    chart(s, "score:" + sc.name, {
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category", name: sc.name,
        data: sc.bins.map(function (b) { return (Math.round(b.from * 100) / 100) + "–" + (Math.round(b.to * 100) / 100); })
      },
      yAxis: { type: "value", name: "客户数" },
      series: [{ name: "客户数 customers", type: "bar", barCategoryGap: "5%", data: sc.bins.map(function (b) { return b.customers; }) }]
    });
  });

  // the migration from the baseline
  if (data.baseline) {
    var b = data.baseline;
    b.only_in_old.forEach(function (g) { section("等级 " + g + " 仅在基准中 (removed)"); });
    b.only_in_new.forEach(function (g) { section("等级 " + g + " 为新增 (added)"); });
    b.grades.forEach(function (m) {
      var s = section("迁移 Migration: " + grade_title(m) + "（" + b.scheme + " → 当前）",
        m.moved + " 位客户变动 customers moved");
      var rows = [], cols = [];
      m.rows.forEach(function (r, i) { if (r.code || m.customers[i].some(function (n) { return n > 0; })) rows.push(i); });
      m.cols.forEach(function (k, j) { if (k.code || m.customers.some(function (r) { return r[j] > 0; })) cols.push(j); });
      var cells = [], max = 1;
      rows.forEach(function (i, y) {
        cols.forEach(function (j, x) {
          var n = m.customers[i][j];
          max = Math.max(max, n);
          cells.push([x, y, n]);
        });
      });
      chart(s, "migration:" + m.name, {
        tooltip: {},
        grid: { left: 140, bottom: 80 },
        xAxis: { type: "category", name: "新 new", data: cols.map(function (j) { return m.cols[j].shown; }), axisLabel: { interval: 0 } },
        yAxis: { type: "category", name: "旧 old", inverse: true, data: rows.map(function (i) { return m.rows[i].shown; }) },
        visualMap: { min: 0, max: max, calculable: false, orient: "horizontal", left: "center", bottom: 0, inRange: { color: ["#f7fbff", "#2171b5"] } },
        series: [{ name: "客户数 customers", type: "heatmap", data: cells, label: { show: true } }]
      }, 120 + 48 * rows.length);
      var head = ["旧 \\ 新"].concat(cols.map(function (j) { return m.cols[j].shown; }));
      table(s, head, rows.map(function (i) {
        return [m.rows[i].shown].concat(cols.map(function (j) { return m.customers[i][j]; }));
      }));
    });
  }

  // rejects
  if (c.rejected > 0) {
    var s = section("拒绝的行 Rejected rows",
      c.rejected + " 行被拒绝，不在统计中" + (data.rejects.length < c.rejected ? "（列出前 " + data.rejects.length + " 行）" : ""));
    table(s, ["行 line", "列 column", "键 key", "原因 reason"], data.rejects.map(function (r) {
      return [r.line, r.column || "", r.key || "", r.reason];
    }));
  }

  window.addEventListener("resize", function () { charts.forEach(function (x) { x.resize(); }); });
  document.body.setAttribute("data-charts", String(charts.length));
})();
