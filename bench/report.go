package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// variantSummary is a variant's medians over the reps of one workload and concurrency.
type variantSummary struct {
	ReqPerSec     float64 `json:"reqPerSec"`
	P50Ms         float64 `json:"p50Ms"`
	P99Ms         float64 `json:"p99Ms"`
	Failures      int     `json:"failures"` // summed over the reps
	ServerCPUUs   float64 `json:"serverCpuUsPerReq,omitempty"`
	PostgresCPUUs float64 `json:"postgresCpuUsPerReq"`
	ClientCPUUs   float64 `json:"loadGeneratorCpuUsPerReq"`
	Statements    float64 `json:"statementsPerReq"`
	RoundTrips    float64 `json:"roundTripsPerReq"`
	ServerRSSMiB  float64 `json:"serverPeakRssMiB,omitempty"`
	// WireKiB and BodyKiB are a server variant's answer per request, as sent and as read.
	WireKiB float64 `json:"wireKiBPerReq,omitempty"`
	BodyKiB float64 `json:"bodyKiBPerReq,omitempty"`
	// OverReplay and OverBest are a server variant's ratios to the floors (medians of the
	// per-rep ratios of req/s).
	OverReplay float64 `json:"overReplay,omitempty"`
	OverBest   float64 `json:"overBest,omitempty"`
}

// summary is one row of the report.
type summary struct {
	Workload    string                     `json:"workload"`
	Concurrency int                        `json:"concurrency"`
	Variants    map[string]*variantSummary `json:"variants"`
	// OverReplay and OverBest are the medians of the per-rep ratios of the server's req/s to
	// floor (a)'s and floor (b)'s (the server variant's; each variant has its own).
	OverReplay float64 `json:"serverOverReplay"`
	OverBest   float64 `json:"serverOverBest"`
}

type report struct {
	Started  time.Time         `json:"started"`
	Elapsed  string            `json:"elapsed"`
	Machine  map[string]any    `json:"machine"`
	Options  map[string]any    `json:"options"`
	Data     dataset           `json:"data"`
	Captured map[string]string `json:"capturedTransactions"` // one per workload, described
	Summary  []summary         `json:"summary"`
	// Counts are the counting pass's statements and round trips per request, which the
	// guard compares with bench/expect.json.
	Counts      []countResult `json:"counts,omitempty"`
	Cells       []cellResult  `json:"cells"`
	concurrency []int
	workloads   []string
}

func newReport(b *bench, cells []cellResult, elapsed time.Duration) *report {
	r := &report{
		Started: time.Now().Add(-elapsed).UTC().Truncate(time.Second), Elapsed: elapsed.Round(time.Second).String(),
		Machine: machine(b.pgVersion),
		Options: map[string]any{"duration": b.opt.duration.String(), "warmup": b.opt.warmup.String(), "reps": b.opt.reps,
			"concurrency": b.opt.concurrency, "smoke": b.opt.smoke, "variants": b.opt.variants, "serverEnv": b.opt.serverEnv},
		Data: b.data, Captured: map[string]string{}, Counts: b.counts, Cells: cells, concurrency: b.opt.concurrency,
	}
	for _, w := range b.opt.workloads {
		r.workloads = append(r.workloads, w.Name)
		if txs := b.captured[w.Name]; len(txs) > 0 {
			r.Captured[w.Name] = txs[0].describe()
		}
	}
	r.Summary = summarize(cells, r.workloads, r.concurrency)
	return r
}

// summarize takes the medians over the reps of each workload, concurrency and variant.
func summarize(cells []cellResult, workloads []string, concurrency []int) []summary {
	var out []summary
	for _, w := range workloads {
		for _, c := range concurrency {
			s := summary{Workload: w, Concurrency: c, Variants: map[string]*variantSummary{}}
			byRep := map[int]map[string]cellResult{}
			for _, v := range variants {
				var rps, p50, p99, srv, pg, cl, st, rt, rss, wire, body []float64
				vs := &variantSummary{}
				for _, cell := range cells {
					if cell.Workload != w || cell.Concurrency != c || cell.Variant != v {
						continue
					}
					if byRep[cell.Rep] == nil {
						byRep[cell.Rep] = map[string]cellResult{}
					}
					byRep[cell.Rep][v] = cell
					rps, p50, p99 = append(rps, cell.ReqPerSec), append(p50, cell.P50Ms), append(p99, cell.P99Ms)
					srv, pg, cl = append(srv, cell.ServerCPUUs), append(pg, cell.PostgresCPUUs), append(cl, cell.ClientCPUUs)
					st, rt = append(st, cell.Statements), append(rt, cell.RoundTrips)
					rss = append(rss, float64(cell.ServerPeakRSSB)/(1<<20))
					wire, body = append(wire, cell.WireBytes/1024), append(body, cell.BodyBytes/1024)
					vs.Failures += cell.Failures
				}
				if len(rps) == 0 {
					continue // not run
				}
				vs.ReqPerSec, vs.P50Ms, vs.P99Ms = median(rps), median(p50), median(p99)
				vs.ServerCPUUs, vs.PostgresCPUUs, vs.ClientCPUUs = median(srv), median(pg), median(cl)
				vs.Statements, vs.RoundTrips, vs.ServerRSSMiB = median(st), median(rt), median(rss)
				vs.WireKiB, vs.BodyKiB = median(wire), median(body)
				s.Variants[v] = vs
			}
			for _, v := range serverVariants {
				var overA, overB []float64
				for _, cs := range byRep {
					sv, ok := cs[v]
					if !ok {
						continue
					}
					if a := cs[variantReplay].ReqPerSec; a > 0 {
						overA = append(overA, sv.ReqPerSec/a)
					}
					if b := cs[variantBest].ReqPerSec; b > 0 {
						overB = append(overB, sv.ReqPerSec/b)
					}
				}
				if vs := s.Variants[v]; vs != nil {
					vs.OverReplay, vs.OverBest = median(overA), median(overB)
				}
			}
			if sv := s.Variants[variantServer]; sv != nil {
				s.OverReplay, s.OverBest = sv.OverReplay, sv.OverBest
			}
			out = append(out, s)
		}
	}
	return out
}

// ran reports whether any cell ran variant.
func (r *report) ran(variant string) bool {
	for _, s := range r.Summary {
		if s.Variants[variant] != nil {
			return true
		}
	}
	return false
}

func (r *report) failures() int {
	n := 0
	for _, c := range r.Cells {
		n += c.Failures
	}
	return n
}

// write prints the tables: per workload, concurrency and server variant, the server's
// figures and its ratios to the floors; then the floors'.
func (r *report) write(w io.Writer) error {
	fmt.Fprintf(w, "\npaygql bench: %d CPUs, %s, PostgreSQL %s (fsync off), %s cells, %d reps, medians; CPU in µs per request\n",
		r.Machine["cpus"], r.Machine["go"], r.Machine["postgres"], r.Options["duration"], r.Options["reps"])
	fmt.Fprintln(w, "server = GraphQL over HTTP; gzip = the same asking for gzip (gen CPU includes decompressing); exec = a server with default_query_exec_mode=exec;")
	fmt.Fprintln(w, "(a) = the server's SQL replayed over pgx; (b) = the best single prepared statement; KiB = the answer as sent")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload	c	variant	req/s	p50 ms	p99 ms	fail	srv CPU	pg CPU	gen CPU	stmts	trips	RSS MiB	KiB	|	÷(a)	÷(b)	")
	for _, s := range r.Summary {
		for _, v := range serverVariants {
			sv := s.Variants[v]
			if sv == nil {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.2f\t%.2f\t%d\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.0f\t%.1f\t|\t%s\t%s\t\n",
				s.Workload, s.Concurrency, shortVariant(v), sv.ReqPerSec, sv.P50Ms, sv.P99Ms, sv.Failures,
				sv.ServerCPUUs, sv.PostgresCPUUs, sv.ClientCPUUs, sv.Statements, sv.RoundTrips, sv.ServerRSSMiB, sv.WireKiB,
				ratio(sv.OverReplay), ratio(sv.OverBest))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nthe floors:")
	tw = tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tc\t(a) req/s\tp50 ms\tpg CPU\tstmts\ttrips\tfail\t|\t(b) req/s\tp50 ms\tpg CPU\tfail\t")
	for _, s := range r.Summary {
		a, b := s.Variants[variantReplay], s.Variants[variantBest]
		if a == nil && b == nil {
			continue
		}
		if a == nil {
			a = &variantSummary{}
		}
		if b == nil {
			b = &variantSummary{}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.0f\t%.1f\t%.1f\t%d\t|\t%.0f\t%.2f\t%.0f\t%d\t\n",
			s.Workload, s.Concurrency, a.ReqPerSec, a.P50Ms, a.PostgresCPUUs, a.Statements, a.RoundTrips, a.Failures,
			b.ReqPerSec, b.P50Ms, b.PostgresCPUUs, b.Failures)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nthe server's SQL per request (first captured transaction):")
	for _, name := range r.workloads {
		fmt.Fprintf(w, "  %-29s %s\n", name, r.Captured[name])
	}
	for _, c := range r.Cells {
		if c.FirstFailure != "" {
			fmt.Fprintf(w, "first failure of %s c%d %s: %s\n", c.Workload, c.Concurrency, c.Variant, c.FirstFailure)
		}
	}
	return nil
}

// ratio formats a ratio to a floor: — when the floor did not run.
func ratio(x float64) string {
	if x == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", x)
}

// shortVariant names a server variant in a table column.
func shortVariant(v string) string {
	if v == variantServer {
		return "plain"
	}
	return strings.TrimPrefix(v, variantServer+"-")
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// The chart's look: one colour and dash pattern per variant.
var variantStyle = map[string]struct {
	label  string
	color  color.Color
	dashes []vg.Length
}{
	variantServer: {"server (GraphQL over HTTP)", color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}, nil},
	variantReplay: {"(a) server's SQL over pgx", color.RGBA{R: 0xe0, G: 0x7b, B: 0x10, A: 0xff}, []vg.Length{vg.Points(6), vg.Points(3)}},
	variantBest:   {"(b) best single statement", color.RGBA{R: 0x2a, G: 0x9d, B: 0x48, A: 0xff}, []vg.Length{vg.Points(2), vg.Points(2)}},
	variantGzip:   {"server, gzip answers", color.RGBA{R: 0x7b, G: 0x3f, B: 0xbf, A: 0xff}, nil},
	variantExec:   {"server, exec mode", color.RGBA{R: 0x1f, G: 0xaf, B: 0xbf, A: 0xff}, []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}},
}

// writeChart draws one column per workload: throughput above, p99 latency below, both across
// concurrency, one line per variant.
func (r *report) writeChart(path string) error {
	rows := [2][]*plot.Plot{}
	legend := plot.NewLegend()
	for _, v := range variants { // in their order, those that ran
		if !r.ran(v) {
			continue
		}
		st := variantStyle[v]
		line, points, err := plotter.NewLinePoints(plotter.XYs{{}})
		if err != nil {
			return err
		}
		line.Color, line.Dashes, line.Width = st.color, st.dashes, vg.Points(1.8)
		points.Color, points.Shape = st.color, draw.CircleGlyph{}
		legend.Add(st.label, line, points)
	}
	for _, w := range r.workloads {
		tp, lat := plot.New(), plot.New()
		tp.Title.Text = w
		tp.Title.TextStyle.Font.Size = vg.Points(11)
		tp.Y.Label.Text = "requests per second"
		lat.Y.Label.Text = "p99 latency (ms)"
		lat.X.Label.Text = "concurrency (closed-loop workers)"
		for _, p := range []*plot.Plot{tp, lat} {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = concurrencyTicks(r.concurrency)
			p.X.Min, p.X.Max = float64(r.concurrency[0])*0.8, float64(r.concurrency[len(r.concurrency)-1])*1.25
			p.Y.Min = 0
			p.Y.Tick.Marker = plainTicks{}
			p.Add(plotter.NewGrid())
		}
		for _, v := range variants {
			var thr, p99 plotter.XYs
			for _, s := range r.Summary {
				if vs := s.Variants[v]; s.Workload == w && vs != nil {
					thr = append(thr, plotter.XY{X: float64(s.Concurrency), Y: vs.ReqPerSec})
					p99 = append(p99, plotter.XY{X: float64(s.Concurrency), Y: vs.P99Ms})
				}
			}
			if len(thr) == 0 {
				continue // not run for this workload
			}
			st := variantStyle[v]
			for i, pts := range []plotter.XYs{thr, p99} {
				line, points, err := plotter.NewLinePoints(pts)
				if err != nil {
					return err
				}
				line.Color, line.Dashes, line.Width = st.color, st.dashes, vg.Points(1.8)
				points.Color, points.Shape = st.color, draw.CircleGlyph{}
				p := []*plot.Plot{tp, lat}[i]
				p.Add(line, points)
			}
		}
		rows[0], rows[1] = append(rows[0], tp), append(rows[1], lat)
	}
	cols := len(r.workloads)
	img := vgimg.NewWith(vgimg.UseWH(vg.Points(float64(290*max(cols, 2))), vg.Points(700)), vgimg.UseDPI(110))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	title := fmt.Sprintf("paygql bench %s: medians of %v reps of %v per cell, %v CPUs, PostgreSQL fsync off",
		r.Started.Format("2006-01-02"), r.Options["reps"], r.Options["duration"], r.Machine["cpus"])
	ts := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(13)), Handler: plot.DefaultTextHandler}
	dc.FillText(ts, vg.Point{X: dc.Min.X + vg.Points(12), Y: dc.Max.Y - vg.Points(20)}, title)
	// The legend sits under the title, clear of every line.
	legend.Top, legend.Left, legend.XOffs = true, true, vg.Points(12)
	legend.TextStyle.Font.Size = vg.Points(11)
	legend.Padding = vg.Points(2)
	band := draw.Crop(dc, 0, 0, dc.Size().Y-vg.Points(112), -vg.Points(28))
	legend.Draw(band)
	tiles := draw.Tiles{Rows: 2, Cols: cols, PadTop: vg.Points(112), PadBottom: vg.Points(8), PadLeft: vg.Points(8),
		PadRight: vg.Points(12), PadX: vg.Points(14), PadY: vg.Points(14)}
	canvases := plot.Align([][]*plot.Plot{rows[0], rows[1]}, tiles, dc)
	for j := range 2 {
		for i := range cols {
			rows[j][i].Draw(canvases[j][i])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plainTicks are gonum's default ticks labelled without needless decimals.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}

// concurrencyTicks labels exactly the measured concurrencies.
func concurrencyTicks(cs []int) plot.ConstantTicks {
	var t plot.ConstantTicks
	for _, c := range cs {
		t = append(t, plot.Tick{Value: float64(c), Label: fmt.Sprint(c)})
	}
	return t
}
