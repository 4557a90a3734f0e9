//! Markdown to safe HTML: pulldown-cmark renders, ammonia removes anything that could run (scripts, event
//! handlers, `javascript:` links). Every Markdown shown to a browser goes through `render`.

use pulldown_cmark::{Options, Parser, html};

pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn scripts_and_event_handlers_never_survive() {
        let html = render(
            "# 标题\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[链接](javascript:alert(1))",
        );
        assert!(html.contains("<h1>标题</h1>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn tables_and_images_render() {
        let html = render("| 项目 | 值 |\n|---|---|\n| SO₂ | 35 |\n\n![图](/media/1)");
        assert!(html.contains("<table>") && html.contains("<td>SO₂</td>"));
        assert!(html.contains("<img src=\"/media/1\" alt=\"图\">"), "{html}");
    }
}

/// The words of a Markdown text without its markup, for the search index and its snippets.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut out = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
            Event::End(TagEnd::TableCell) | Event::Start(Tag::TableCell) => out.push(' '),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => out.push('\n'),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod plain_tests {
    #[test]
    fn markup_is_dropped_and_words_stay() {
        let text = super::plain_text(
            "## 一、检查\n\n**烟气**走`旁路`。\n\n| 时段 | 开度 |\n|---|---|\n| 02:00 | 100% |",
        );
        assert!(
            text.contains("一、检查") && text.contains("烟气走旁路。") && text.contains("02:00"),
            "{text}"
        );
        assert!(
            !text.contains('#') && !text.contains('*') && !text.contains('|'),
            "{text}"
        );
    }
}
