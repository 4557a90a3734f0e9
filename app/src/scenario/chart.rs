//! SVG charts drawn on the server (and identically in the browser): a monitoring time series with its limit,
//! marked periods and, in the debrief, the known anomalies; and the radar of competency dimensions.

use super::Chart;
use crate::i18n::{t, t_with};
use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// A "nice" upper bound for the y axis: 1, 2 or 5 times a power of ten, above `max`.
pub fn nice_ceiling(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

#[component]
pub fn SeriesChart(chart: Chart) -> impl IntoView {
    let n = chart.labels.len().max(1);
    let data_max = chart
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max);
    let top = nice_ceiling(data_max.max(chart.limit.unwrap_or(0.0)) * 1.1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = move |i: f64| LEFT + plot_w * (i + 0.5) / n as f64;
    let y = move |v: f64| TOP + plot_h * (1.0 - v / top);
    let band = move |a: usize, b: usize| {
        (
            LEFT + plot_w * a as f64 / n as f64,
            plot_w * (b + 1 - a) as f64 / n as f64,
        )
    };
    // A tick at each day boundary when the labels are hourly, else about eight ticks.
    let day_ticks: Vec<usize> = chart
        .labels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.ends_with("00:00"))
        .map(|(i, _)| i)
        .collect();
    let ticks: Vec<usize> = if (2..=14).contains(&day_ticks.len()) {
        day_ticks
    } else {
        (0..n).step_by((n / 8).max(1)).collect()
    };
    let colours = ["#1f6f5c", "#3b6fb6", "#b06a1f"];
    let summary = t_with(
        "play.chart_summary",
        &[
            ("n", &n.to_string()),
            (
                "from",
                chart.labels.first().map(String::as_str).unwrap_or(""),
            ),
            ("to", chart.labels.last().map(String::as_str).unwrap_or("")),
        ],
    );
    let grid: Vec<f64> = (0..=4).map(|k| top * k as f64 / 4.0).collect();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary.clone() preserveAspectRatio="xMidYMid meet">
                {grid.into_iter().map(|g| view! {
                    <line x1=LEFT x2=W - RIGHT y1=y(g) y2=y(g) class="chart-grid"/>
                    <text x=LEFT - 6.0 y=y(g) + 4.0 text-anchor="end" class="chart-label">{format!("{g}")}</text>
                }).collect_view()}
                {chart.anomalies.iter().map(|(a, b, _)| {
                    let (bx, bw) = band(*a, *b);
                    view! { <rect x=bx y=TOP width=bw height=plot_h class="chart-anomaly"/> }
                }).collect_view()}
                {chart.marks.iter().map(|(a, b)| {
                    let (bx, bw) = band(*a, *b);
                    view! { <rect x=bx y=TOP width=bw height=plot_h class="chart-mark"/> }
                }).collect_view()}
                {chart.limit.map(|l| view! {
                    <line x1=LEFT x2=W - RIGHT y1=y(l) y2=y(l) class="chart-limit"/>
                    <text x=W - RIGHT - 4.0 y=y(l) - 5.0 text-anchor="end" class="chart-limit-label">{t_with("play.limit", &[("n", &format!("{l}"))])}</text>
                })}
                {chart.series.iter().enumerate().map(|(k, (_, values))| {
                    let points: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i as f64), y(*v))).collect();
                    view! { <polyline points=points.join(" ") fill="none" stroke=colours[k % colours.len()] stroke-width="1.6"/> }
                }).collect_view()}
                {ticks.iter().map(|i| {
                    let label = chart.labels.get(*i).cloned().unwrap_or_default();
                    let short = if label.ends_with("00:00") { label.split(' ').next().unwrap_or_default().to_owned() } else { label };
                    view! {
                        <line x1=x(*i as f64) x2=x(*i as f64) y1=H - BOTTOM y2=H - BOTTOM + 4.0 class="chart-axis"/>
                        <text x=x(*i as f64) y=H - 10.0 text-anchor="middle" class="chart-label">{short}</text>
                    }
                }).collect_view()}
                <line x1=LEFT x2=W - RIGHT y1=H - BOTTOM y2=H - BOTTOM class="chart-axis"/>
            </svg>
            <figcaption class="small muted">
                {chart.series.iter().enumerate().map(|(k, (name, _))| view! {
                    <span class="legend legend-series" style=format!("--swatch:{}", colours[k % colours.len()])>{name.clone()}</span>
                }).collect_view()}
                {format!("（{}）", chart.unit)}
                {(!chart.marks.is_empty()).then(|| view! { <span class="legend legend-mark">{t("play.legend_mark")}</span> })}
                {(!chart.anomalies.is_empty()).then(|| view! { <span class="legend legend-anomaly">{t("play.legend_anomaly")}</span> })}
            </figcaption>
            {(!chart.anomalies.is_empty()).then(|| view! {
                <ul class="small anomalies">
                    {chart.anomalies.iter().map(|(a, b, label)| view! {
                        <li>{format!("{} – {}：{label}", chart.labels.get(*a).cloned().unwrap_or_default(), chart.labels.get(*b).cloned().unwrap_or_default())}</li>
                    }).collect_view()}
                </ul>
            })}
            <details class="chart-data">
                <summary class="small">{t("play.chart_table")}</summary>
                <table class="table small">
                    <thead><tr><th>{t("play.chart_time")}</th>{chart.series.iter().map(|(name, _)| view! { <th>{name.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {chart.labels.iter().enumerate().map(|(i, l)| view! {
                            <tr><td>{l.clone()}</td>{chart.series.iter().map(|(_, v)| view! { <td>{v.get(i).map(|x| format!("{x}")).unwrap_or_default()}</td> }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// The corners of a polygon on a radar with `n` axes, each value a fraction of the radius.
pub fn radar_points(fractions: &[f64], cx: f64, cy: f64, r: f64) -> Vec<(f64, f64)> {
    let n = fractions.len().max(1) as f64;
    fractions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n;
            let f = f.clamp(0.0, 1.0);
            (cx + r * f * angle.cos(), cy + r * f * angle.sin())
        })
        .collect()
}

fn polygon(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Labels left of the centre end at their axis, labels right of it start there, so none covers the chart.
fn anchor(x: f64, cx: f64) -> &'static str {
    if x > cx + 5.0 {
        "start"
    } else if x < cx - 5.0 {
        "end"
    } else {
        "middle"
    }
}

/// Score per dimension against the model path's: (label, mine, max).
#[component]
pub fn Radar(dims: Vec<(String, u32, u32)>) -> impl IntoView {
    let (cx, cy, r) = (160.0, 130.0, 90.0);
    let n = dims.len();
    let fractions: Vec<f64> = dims
        .iter()
        .map(|(_, mine, max)| {
            if *max == 0 {
                0.0
            } else {
                f64::from(*mine) / f64::from(*max)
            }
        })
        .collect();
    let rings: Vec<String> = [0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|f| polygon(&radar_points(&vec![*f; n], cx, cy, r)))
        .collect();
    let axes = radar_points(&vec![1.0; n], cx, cy, r);
    let labels = radar_points(&vec![1.0; n], cx, cy, r + 22.0);
    let mine = polygon(&radar_points(&fractions, cx, cy, r));
    let summary = dims
        .iter()
        .map(|(l, m, x)| format!("{l} {m}/{x}"))
        .collect::<Vec<_>>()
        .join("，");
    view! {
        <svg class="radar" viewBox="-50 0 420 260" role="img" aria-label=summary>
            {rings.into_iter().map(|p| view! { <polygon points=p class="radar-ring"/> }).collect_view()}
            {axes.iter().map(|(x, y)| view! { <line x1=cx y1=cy x2=*x y2=*y class="radar-axis"/> }).collect_view()}
            <polygon points=mine class="radar-mine"/>
            {labels.iter().zip(dims.iter()).map(|((x, y), (label, m, max))| view! {
                <text x=*x y=*y + 4.0 text-anchor=anchor(*x, cx) class="radar-label">{format!("{label} {m}/{max}")}</text>
            }).collect_view()}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_y_axis_ends_on_a_round_number_above_the_data() {
        assert_eq!(nice_ceiling(35.0 * 1.1), 50.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(180.0), 200.0);
        assert_eq!(nice_ceiling(9.0), 10.0);
    }

    #[test]
    fn a_full_radar_touches_every_axis_end_and_an_empty_one_sits_at_the_centre() {
        let full = radar_points(&[1.0; 5], 100.0, 100.0, 50.0);
        for (x, y) in &full {
            let d = ((x - 100.0).powi(2) + (y - 100.0).powi(2)).sqrt();
            assert!((d - 50.0).abs() < 1e-9);
        }
        assert!((full[0].1 - 50.0).abs() < 1e-9, "the first axis points up");
        for (x, y) in radar_points(&[0.0; 5], 100.0, 100.0, 50.0) {
            assert!((x - 100.0).abs() < 1e-9 && (y - 100.0).abs() < 1e-9);
        }
        let over = radar_points(&[3.0], 0.0, 0.0, 10.0);
        assert!(
            (over[0].1 + 10.0).abs() < 1e-9,
            "values are clamped to the radius"
        );
    }
}
