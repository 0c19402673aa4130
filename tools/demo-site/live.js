// SPDX-License-Identifier: MIT
/*
 * petrel's live view (live.html): polls /_stats once a second and draws
 * request and byte rates, pool pages, mapping-cache hits and ECEM pairs
 * on canvases; polls /_trace every 5 seconds and draws the latest
 * requests' spans as a waterfall ("tracing not available" when the
 * server answers 404). live.html?trace=/PATH draws a trace file stored
 * in the site instead (Chrome Trace Event JSON, as /_trace writes it).
 * Served by the guest itself: nothing here loads from anywhere else, and
 * the page's Content-Security-Policy enforces it.
 *
 * What is drawn is also written to the DOM, so a headless browser can
 * read it (tests/integration/test_liveview.py): each series' <li> has
 * data-value (the latest drawn number, or "n/a"), data-total (the raw
 * counter) and data-state (ok, pending, missing); #status has
 * data-polls; every canvas has data-points (what its last draw plotted);
 * each waterfall row is an <li> in #trace-rows with data-req,
 * data-spans, data-names and data-dur-us.
 *
 * A key missing from /_stats is shown as n/a, never estimated. Polls
 * never overlap: the next is scheduled when the last one has finished,
 * so a slow guest is asked less often rather than piled on.
 */
"use strict";

(function () {
	const STATS_PATH = "/_stats";
	const TRACE_PATH = tracePath();
	const STATS_PERIOD_MS = 1000;
	/* A full /_trace is large (petrel's: a ring of spans per CPU at
	 * about 180 bytes of JSON each: 0.47 MB and 30-45 ms of a TCG
	 * guest's CPU for 2561 events), so it is asked for less often than
	 * the counters. */
	const TRACE_PERIOD_MS = 5000;
	const FETCH_TIMEOUT_MS = 5000;
	const HISTORY = 120; /* samples per series: 2 minutes of polls */
	const TRACE_ROWS = 12; /* requests in the waterfall */
	const TRACE_LABEL_PX = 200; /* left column of the waterfall */
	const TRACE_ROW_PX = 18;
	const TRACE_AXIS_PX = 16;
	const OWN_POLL = /^\S+ \/_(stats|trace)\b/; /* this page's requests */

	const COLORS = ["#0b62a4", "#d9480f", "#2b8a3e", "#862e9c",
		"#c2255c", "#5f3dc4", "#e67700", "#087f5b"];
	/* The span names the server records (app/, fs/, net/ trace points);
	 * any other name still draws, in a colour derived from its name. */
	const SPAN_COLORS = {
		parse: "#74c0fc", open: "#ffa94d", disk: "#e03131",
		wait: "#dee2e6", send: "#37b24d", ecem: "#9c36b5",
		splice: "#1971c2", ack: "#66a80f", done: "#868e96",
		read: "#f08c00", laio: "#f783ac",
	};

	/* The trace to draw: /_trace, or live.html?trace=/PATH for a trace
	 * file stored in the site (a saved or merged trace) or one request
	 * (?trace=/_trace?id=N). Only paths on this server are taken. */
	function tracePath() {
		const p = new URLSearchParams(location.search).get("trace");
		return p && /^\/(?![\/\\])/.test(p) ? p : "/_trace";
	}

	/* ---- reading /_stats ---- */

	/* The number at dotted path `path` of `obj`, or undefined. */
	function lookup(obj, path) {
		let v = obj;
		for (const k of path.split(".")) {
			if (v === null || typeof v !== "object" || !(k in v))
				return undefined;
			v = v[k];
		}
		return v;
	}

	function number(obj, path) {
		const v = lookup(obj, path);
		return typeof v === "number" && isFinite(v) ? v : undefined;
	}

	/* ECEM counts transitions as "FROM-TO": count; entries into one
	 * state are the sum over every FROM. */
	function entriesInto(state) {
		return function (st) {
			const t = lookup(st, "ecem.transitions");
			if (t === null || typeof t !== "object")
				return undefined;
			let n = 0;
			for (const k of Object.keys(t))
				if (k.endsWith("-" + state) &&
				    typeof t[k] === "number")
					n += t[k];
			return n;
		};
	}

	/* A counter drawn as its rate per second. */
	function rate(key, label) {
		const get = typeof key === "function" ? key :
			(st) => number(st, key);
		return { key: typeof key === "string" ? key : label, label,
			get, kind: "rate" };
	}

	/* A value drawn as it is. */
	function gauge(key, label) {
		return { key, label, get: (st) => number(st, key),
			kind: "gauge" };
	}

	function text(st, path) {
		const v = lookup(st, path);
		return typeof v === "string" ? v : "n/a";
	}

	/* Hits over gets in the last interval, as a note. */
	function sfbufNote(chart) {
		return (st) => {
			const [hits, misses] = chart.series.map((s) => s.latest);
			const ratio = hits !== null && misses !== null &&
				hits + misses > 0 ?
				Math.round(100 * hits / (hits + misses)) + "%" :
				"n/a";
			return "mode " + text(st, "sfbuf.mode") +
				", hit ratio " + ratio;
		};
	}

	const CHARTS = [
		{ id: "requests", title: "Requests",
		  format: fmtCount,
		  series: [rate("http.requests", "requests")] },
		{ id: "bytes", title: "Bytes sent",
		  format: fmtBytes,
		  series: [rate("conn.bytes_out", "TCP payload"),
			   rate("http.body_bytes", "HTTP bodies")] },
		{ id: "pinned", title: "Pool pages pinned", format: fmtCount,
		  series: [gauge("iobuf.pinned_pages", "pinned"),
			   gauge("nic.rx_pool_pages", "of them RX buffers")] },
		{ id: "free", title: "Pool pages free", format: fmtCount,
		  ceiling: "iobuf.pool_pages",
		  series: [gauge("iobuf.free_pages", "free")],
		  note: () => (st) => "of " +
			fmtCount(number(st, "iobuf.pool_pages")) + " pages" },
		{ id: "sfbuf", title: "Mapping cache (sf_buf)",
		  format: fmtCount,
		  series: [rate("sfbuf.hits", "hits"),
			   rate("sfbuf.misses", "misses")],
		  note: sfbufNote },
		{ id: "ecem-pairs", title: "ECEM pairs", format: fmtCount,
		  series: [gauge("ecem.pairs_live", "live"),
			   rate("ecem.pairs_added", "added")],
		  note: () => (st) => "mode " + text(st, "ecem.mode") },
		{ id: "ecem-now", title: "ECEM pairs in each state",
		  format: fmtCount,
		  series: [gauge("ecem.pairs_wr", "waiting for disk (WR)"),
			   gauge("ecem.pairs_rw", "waiting for ACKs (RW)"),
			   gauge("ecem.pairs_ww", "waiting for both (WW)"),
			   gauge("ecem.pairs_rr", "idle (RR)")],
		  note: () => () => "pairs now, at each poll" },
		{ id: "ecem-states", title: "ECEM entries into each state",
		  format: fmtCount,
		  series: ["RR", "RW", "WR", "WW"].map((s) =>
			rate(entriesInto(s), "into " + s)),
		  note: () => () => "disk side then network side, " +
			"R ready, W waiting" },
	];

	/* ---- formatting ---- */

	function fmtScaled(v, base, units) {
		let i = 0;
		while (Math.abs(v) >= base && i < units.length - 1) {
			v /= base;
			i++;
		}
		const digits = Math.abs(v) >= 100 || i === 0 &&
			Number.isInteger(v) ? 0 : Math.abs(v) >= 10 ? 1 : 2;
		return v.toFixed(digits) + units[i];
	}

	function fmtCount(v) {
		if (v === undefined || v === null)
			return "n/a";
		return fmtScaled(v, 1000, ["", "k", "M", "G", "T"]);
	}

	function fmtBytes(v) {
		if (v === undefined || v === null)
			return "n/a";
		return fmtScaled(v, 1024,
			[" B", " KiB", " MiB", " GiB", " TiB"]);
	}

	function colorOf(name) {
		if (SPAN_COLORS[name])
			return SPAN_COLORS[name];
		let h = 0;
		for (const c of name)
			h = (h * 31 + c.charCodeAt(0)) >>> 0;
		return COLORS[h % COLORS.length];
	}

	/* ---- the page's elements ---- */

	function el(tag, cls, content) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (content !== undefined)
			e.textContent = content;
		return e;
	}

	function buildChart(chart) {
		const fig = el("figure", "chart");
		const cap = el("figcaption");

		fig.id = "chart-" + chart.id;
		cap.append(el("span", "title", chart.title));
		chart.noteEl = el("span", "note");
		cap.append(chart.noteEl);
		chart.canvas = el("canvas");
		chart.canvas.width = 340;
		chart.canvas.height = 110;
		chart.canvas.dataset.points = "0";
		const legend = el("ul", "legend");
		chart.series.forEach((s, i) => {
			s.color = COLORS[i % COLORS.length];
			s.history = [];
			s.li = el("li", "series");
			s.li.dataset.key = s.key;
			s.li.dataset.kind = s.kind;
			s.li.dataset.value = "n/a";
			s.li.dataset.state = "pending";
			const sw = el("span", "swatch");
			sw.style.background = s.color; /* CSSOM: allowed by CSP */
			s.out = el("output", null, "…");
			s.li.append(sw, s.label + " ", s.out);
			legend.append(s.li);
		});
		fig.append(cap, chart.canvas, legend);
		chart.noteFn = chart.note ? chart.note(chart) : null;
		return fig;
	}

	/* ---- taking a sample ---- */

	let prev = null; /* {uptime, now}: the previous poll */
	let polls = 0;
	let errors = 0;

	/* Seconds between this poll and the last, by the guest's clock when
	 * it reports one (a busy guest answers late, but its counters and
	 * its clock are read together); null when there is no interval or
	 * the guest restarted. */
	function interval(st, now) {
		const up = number(st, "kernel.uptime_us");
		const last = prev;

		prev = { up, now };
		if (!last)
			return null;
		if (up !== undefined && last.up !== undefined)
			return up > last.up ? (up - last.up) / 1e6 : null;
		return (now - last.now) / 1000;
	}

	function sampleSeries(s, st, dt) {
		const raw = s.get(st);
		let v = null;

		if (raw === undefined) {
			s.state = "missing";
		} else if (s.kind === "gauge") {
			v = raw;
			s.state = "ok";
		} else if (dt !== null && s.raw !== undefined && raw >= s.raw) {
			v = (raw - s.raw) / dt;
			s.state = "ok";
		} else {
			s.state = "pending"; /* first poll, or counters reset */
		}
		s.raw = raw;
		s.latest = v;
		s.history.push(v);
		if (s.history.length > HISTORY)
			s.history.shift();
	}

	function showSeries(chart, s) {
		s.li.dataset.state = s.state;
		s.li.dataset.value = s.latest === null ? "n/a" :
			String(s.latest);
		s.li.dataset.total = s.raw === undefined ? "n/a" :
			String(s.raw);
		s.out.textContent = s.state === "missing" ? "n/a" :
			s.state === "pending" ? "…" : chart.format(s.latest) +
			(s.kind === "rate" ? "/s" : "");
		if (s.kind === "rate" && s.raw !== undefined)
			s.out.title = "total " + s.raw;
	}

	function take(st) {
		const dt = interval(st, performance.now());

		for (const chart of CHARTS) {
			for (const s of chart.series) {
				sampleSeries(s, st, dt);
				showSeries(chart, s);
			}
			chart.ceilingValue = chart.ceiling ?
				number(st, chart.ceiling) : undefined;
			if (chart.noteFn)
				chart.noteEl.textContent = " " + chart.noteFn(st);
			drawChart(chart);
		}
		polls++;
		const status = document.getElementById("status");
		status.dataset.polls = String(polls);
		status.dataset.state = "ok";
		status.dataset.uptimeUs = String(number(st,
			"kernel.uptime_us") ?? "n/a");
		status.textContent = "Poll " + polls + ": " +
			fmtCount(number(st, "http.requests")) +
			" requests served, " +
			fmtCount(number(st, "http.active")) +
			" connections open, up " + fmtUptime(st) +
			(errors ? "; " + errors + " polls failed" : "") + ".";
	}

	function fmtUptime(st) {
		const up = number(st, "kernel.uptime_us");
		return up === undefined ? "n/a" : (up / 1e6).toFixed(1) + " s";
	}

	/* ---- drawing ---- */

	/* The canvas's context sized to its CSS box at the device's pixel
	 * ratio, so lines stay sharp; returns [ctx, width, height] in CSS
	 * pixels. */
	function surface(canvas, cssHeight) {
		const ratio = window.devicePixelRatio || 1;
		const w = canvas.clientWidth || canvas.width;
		const h = cssHeight || canvas.clientHeight || canvas.height;

		if (canvas.width !== Math.round(w * ratio) ||
		    canvas.height !== Math.round(h * ratio)) {
			canvas.width = Math.round(w * ratio);
			canvas.height = Math.round(h * ratio);
		}
		if (cssHeight)
			canvas.style.height = cssHeight + "px";
		const g = canvas.getContext("2d");
		g.setTransform(ratio, 0, 0, ratio, 0, 0);
		g.clearRect(0, 0, w, h);
		return [g, w, h];
	}

	/* A round number at or above v (1, 2 or 5 times a power of ten). */
	function niceCeiling(v) {
		if (!(v > 0))
			return 1;
		const p = Math.pow(10, Math.floor(Math.log10(v)));
		for (const m of [1, 2, 5, 10])
			if (m * p >= v)
				return m * p;
		return 10 * p;
	}

	function drawChart(chart) {
		const [g, w, h] = surface(chart.canvas);
		const top = 14; /* room for the scale's label */
		let max = chart.ceilingValue ?? 0;

		for (const s of chart.series)
			for (const v of s.history)
				if (v !== null && v > max)
					max = v;
		max = chart.ceilingValue ?? niceCeiling(max);
		g.strokeStyle = "#e9ecef";
		g.fillStyle = "#868e96";
		g.font = "10px sans-serif";
		g.lineWidth = 1;
		for (const f of [0, 0.5, 1]) {
			const y = Math.round(top + (h - top - 1) * (1 - f)) + 0.5;
			g.beginPath();
			g.moveTo(0, y);
			g.lineTo(w, y);
			g.stroke();
		}
		g.fillText(chart.format(max), 2, 10);
		let points = 0;
		for (const s of chart.series)
			points += drawLine(g, s.history, s.color, w, h, top, max);
		chart.canvas.dataset.points = String(points);
		chart.canvas.dataset.max = String(max);
	}

	/* One series, newest sample at the right edge; a null is a gap.
	 * Returns how many points were plotted. */
	function drawLine(g, history, color, w, h, top, max) {
		const step = w / (HISTORY - 1);
		const x0 = w - step * (history.length - 1);
		let pen = false;
		let points = 0;

		g.strokeStyle = color;
		g.lineWidth = 1.5;
		g.beginPath();
		history.forEach((v, i) => {
			if (v === null) {
				pen = false;
				return;
			}
			const x = x0 + i * step;
			const y = top + (h - top - 1) * (1 - Math.min(v / max, 1));
			if (pen)
				g.lineTo(x, y);
			else
				g.moveTo(x, y);
			pen = true;
			points++;
		});
		g.stroke();
		return points;
	}

	/* ---- /_trace ---- */

	/* The traced requests of a Chrome Trace Event document: one per
	 * (pid, tid) track, labelled by its thread_name metadata, with its
	 * "X" spans; [{key, label, spans, start, end}]. */
	function tracedRequests(doc) {
		const events = Array.isArray(doc) ? doc :
			doc && Array.isArray(doc.traceEvents) ?
				doc.traceEvents : [];
		const tracks = new Map();
		const track = (e) => {
			const key = e.pid + ":" + e.tid;
			if (!tracks.has(key))
				tracks.set(key, { key, tid: e.tid, label: null,
					spans: [] });
			return tracks.get(key);
		};

		for (const e of events) {
			if (!e || typeof e !== "object")
				continue;
			if (e.ph === "M" && e.name === "thread_name" && e.args)
				track(e).label = String(e.args.name);
			else if (e.ph === "X" && typeof e.ts === "number")
				track(e).spans.push({ name: String(e.name),
					cat: e.cat, ts: e.ts,
					dur: typeof e.dur === "number" ?
						Math.max(e.dur, 0) : 0 });
		}
		const out = [];
		for (const t of tracks.values()) {
			if (!t.spans.length)
				continue;
			t.spans.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
			t.start = t.spans[0].ts;
			t.end = Math.max(...t.spans.map((s) => s.ts + s.dur));
			t.label = t.label || "request " + t.tid;
			out.push(t);
		}
		return out;
	}

	/* The latest requests, newest first. petrel does not trace its own
	 * endpoints, but a saved trace (or another server) may hold this
	 * page's polls: they are left out while there are others to show. */
	function latest(requests) {
		const others = requests.filter((r) => !OWN_POLL.test(r.label));
		const pick = others.length ? others : requests;
		return pick.sort((a, b) => b.start - a.start)
			.slice(0, TRACE_ROWS);
	}

	/* How many of the row's earlier spans contain this one: nested
	 * spans are drawn thinner on top of their parents. */
	function depths(spans) {
		return spans.map((s, i) => spans.slice(0, i).filter((p) =>
			p.ts <= s.ts && s.ts + s.dur <= p.ts + p.dur).length);
	}

	function drawWaterfall(rows) {
		const canvas = document.getElementById("waterfall");
		const height = TRACE_AXIS_PX + TRACE_ROW_PX * Math.max(rows.length, 1);
		const [g, w] = surface(canvas, height);
		const span = Math.max(...rows.map((r) => r.end - r.start), 1);
		const scale = (w - TRACE_LABEL_PX - 8) / span;
		let points = 0;

		g.font = "11px sans-serif";
		g.fillStyle = "#868e96";
		g.fillText("0", TRACE_LABEL_PX, 11);
		g.textAlign = "right";
		g.fillText(fmtCount(span) + " µs from each request's first event",
			w - 2, 11);
		g.textAlign = "left";
		rows.forEach((r, i) => {
			const y = TRACE_AXIS_PX + i * TRACE_ROW_PX;
			g.fillStyle = "#222";
			g.fillText(clip(g, r.label, TRACE_LABEL_PX - 6), 0, y + 13);
			const depth = depths(r.spans);
			r.spans.forEach((s, k) => {
				const inset = Math.min(2 + 3 * depth[k], 7);
				g.fillStyle = colorOf(s.name);
				g.fillRect(TRACE_LABEL_PX + (s.ts - r.start) * scale,
					y + inset, Math.max(s.dur * scale, 1.5),
					TRACE_ROW_PX - 2 * inset);
				points++;
			});
		});
		canvas.dataset.points = String(points);
		canvas.dataset.rows = String(rows.length);
	}

	/* Microseconds to the nanosecond /_trace gives, without the
	 * binary fraction's noise. */
	function us(v) {
		return Math.round(v * 1000) / 1000;
	}

	/* `s` shortened with an ellipsis to fit `px` pixels. */
	function clip(g, s, px) {
		if (g.measureText(s).width <= px)
			return s;
		while (s.length > 1 && g.measureText(s + "…").width > px)
			s = s.slice(0, -1);
		return s + "…";
	}

	function listRows(rows) {
		const list = document.getElementById("trace-rows");
		const legend = document.getElementById("trace-legend");
		const names = new Set();

		list.replaceChildren(...rows.map((r) => {
			const li = el("li");
			li.dataset.req = String(r.tid);
			li.dataset.label = r.label;
			li.dataset.spans = String(r.spans.length);
			li.dataset.names = r.spans.map((s) => s.name).join(",");
			li.dataset.durUs = String(us(r.end - r.start));
			li.textContent = r.label + ": " + us(r.end - r.start) +
				" µs; " + r.spans.map((s) => s.name + " +" +
				us(s.ts - r.start) + " " + us(s.dur) + " µs" +
				(s.cat ? " (" + s.cat + ")" : "")).join(", ");
			if (TRACE_PATH === "/_trace") {
				/* the request alone, to save or open in a trace
				 * viewer */
				const a = el("a", null, "JSON");
				a.href = "/_trace?id=" + encodeURIComponent(r.tid);
				li.append(" (", a, ")");
			}
			r.spans.forEach((s) => names.add(s.name));
			return li;
		}));
		legend.replaceChildren(...[...names].map((n) => {
			const li = el("li");
			const sw = el("span", "swatch");
			sw.style.background = colorOf(n);
			li.append(sw, n);
			return li;
		}));
	}

	function traceState(state, message) {
		const section = document.getElementById("trace");
		section.dataset.state = state;
		document.getElementById("trace-status").textContent = message;
	}

	function showTrace(doc) {
		const all = tracedRequests(doc);
		const rows = latest(all);

		drawWaterfall(rows);
		listRows(rows);
		const events = doc && Array.isArray(doc.traceEvents) ?
			doc.traceEvents.length : 0;
		const other = doc && doc.otherData || {};
		const mode = typeof other.mode === "string" ?
			"trace=" + other.mode : "tracing";
		const dropped = typeof other.dropped === "number" ?
			", " + fmtCount(other.dropped) +
			" older spans overwritten" : "";
		traceState("ok", rows.length ?
			"The " + rows.length + " latest of " + all.length +
			" traced requests (" + events + " events, " + mode +
			dropped + "), newest on top." :
			"No requests traced yet (" + events + " events, " +
			mode + "; trace=on records every request).");
	}

	/* ---- polling ---- */

	function fetchTimed(path) {
		const ctl = new AbortController();
		const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
		return fetch(path, { cache: "no-store", signal: ctl.signal })
			.finally(() => clearTimeout(timer));
	}

	async function pollStats() {
		try {
			const r = await fetchTimed(STATS_PATH);
			if (!r.ok)
				throw new Error(STATS_PATH + " answered " + r.status);
			take(await r.json());
		} catch (e) {
			errors++;
			const status = document.getElementById("status");
			status.dataset.errors = String(errors);
			status.dataset.state = "error";
			status.textContent = "Poll failed (" + e.message +
				"); retrying. " + errors + " failed so far.";
		}
		setTimeout(pollStats, STATS_PERIOD_MS);
	}

	async function pollTrace() {
		try {
			const r = await fetchTimed(TRACE_PATH);
			if (r.status === 404) {
				/* the server has no /_trace: stop asking */
				traceState("unavailable", "Tracing not available " +
					"(this server answers 404 to " + TRACE_PATH +
					").");
				return;
			}
			if (!r.ok)
				throw new Error(TRACE_PATH + " answered " + r.status);
			showTrace(await r.json());
		} catch (e) {
			traceState("error", "Trace poll failed (" + e.message +
				"); retrying.");
		}
		setTimeout(pollTrace, TRACE_PERIOD_MS);
	}

	function start() {
		const box = document.getElementById("charts");
		box.replaceChildren(...CHARTS.map(buildChart));
		pollStats();
		pollTrace();
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", start);
	else
		start();
})();
