package i18n

// catalog holds every word the TUI draws. Terms follow GLOSSARY.md; names
// of software and directives stay untranslated.
var catalog = map[string]entry{
	// inspector
	"insp.noreq":    {"Select a request in the list (↑/↓, enter) to see its bytes.", "在请求列表中选中一个请求（↑/↓，回车）查看它的字节。"},
	"insp.nopdu":    {"No %s bytes were recorded for this request.", "这个请求没有记录到 %s 字节。"},
	"insp.reqhead":  {"HTTP request head, as the proxy read it", "HTTP 请求头（反向代理读到的）"},
	"insp.resphead": {"HTTP response head from %s", "来自 %s 的 HTTP 响应头"},
	"insp.sentto":   {"HTTP request head sent to %s", "发往 %s 的 HTTP 请求头"},
	"insp.nosql":    {"This request ran no SQL.", "这个请求没有执行 SQL。"},
	"insp.packet":   {"uwsgi packet → %s  %d bytes, then a %d-byte body", "uwsgi 数据包 → %s  %d 字节，后接 %d 字节请求体"},
	"insp.header":   {"header", "头部"},
	"insp.key":      {"key", "键"},
	"insp.value":    {"value", "值"},
	"insp.body":     {"body", "请求体"},
	"insp.bad":      {"broken", "无法解码"},
	"insp.bytes":    {"%d bytes", "%d 字节"},
	"insp.environ":  {"environ the app received in %s  %d vars", "应用在 %s 中收到的 environ  %d 个变量"},
	"failed":        {"failed", "失败"},
}
