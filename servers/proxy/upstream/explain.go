package upstream

import (
	"strings"

	"webflow-lab/servers/explain"
)

// Explain turns an error.log entry into the four-line block a learner
// reads: what failed, where (the upstream), why, and what to try, in
// English and Chinese. The log line itself stays nginx's English, as on a
// real server; this is the lab's commentary beside it. Entries it has no
// commentary for come back with What alone.
func (e LogEntry) Explain() *explain.Error {
	x := &explain.Error{Where: e.Upstream}
	peer := strings.TrimPrefix(strings.TrimPrefix(e.Upstream, "uwsgi://"), "http://")
	if strings.HasPrefix(peer, "unix:") {
		peer = strings.TrimSuffix(peer, ":")
	}
	for _, c := range commentary {
		if strings.HasPrefix(e.Msg, c.msg) && strings.Contains(e.Msg, c.has) && (c.action == "" || c.action == e.Action) {
			x.What = explain.T(
				"proxy: "+strings.ReplaceAll(c.what.EN, "PEER", peer),
				"proxy: "+strings.ReplaceAll(c.what.ZH, "PEER", peer))
			x.Why = explain.T(e.Text()+": "+c.why.EN, e.Text()+"："+c.why.ZH)
			x.Try = c.try
			return x
		}
	}
	x.What = explain.T("proxy: "+e.Text(), "proxy: "+e.Text())
	return x
}

// commentary is matched in order: message prefix, then (if set) the action.
var commentary = []struct {
	msg, action    string
	has            string // a substring the message must also contain ("(2:")
	what, why, try explain.Text
}{
	{
		msg: "connect() failed (111", // TCP
		what: explain.T("502 Bad Gateway: nothing accepts connections at PEER",
			"502 网关错误：PEER 上没有程序接受连接"),
		why: explain.T("the app server is not running, or it listens on another port",
			"应用服务器没有启动，或者它监听的是别的端口"),
		try: explain.T("start the uWSGI instance, and check that its socket= matches uwsgi_pass",
			"启动 uWSGI 实例，并确认它的 socket= 与 uwsgi_pass 的地址一致"),
	},
	{
		msg: "connect() to unix:", has: "(2:",
		what: explain.T("502 Bad Gateway: the UNIX socket PEER does not exist",
			"502 网关错误：UNIX 套接字 PEER 不存在"),
		why: explain.T("uWSGI is not running, or its socket= names another path",
			"uWSGI 没有启动，或者它的 socket= 用的是别的路径"),
		try: explain.T("start uWSGI with the same socket= path as uwsgi_pass", "用与 uwsgi_pass 相同的 socket= 路径启动 uWSGI"),
	},
	{
		msg: "connect() to unix:", has: "(13:",
		what: explain.T("502 Bad Gateway: nginx may not open the UNIX socket PEER",
			"502 网关错误：nginx 无权打开 UNIX 套接字 PEER"),
		why: explain.T("nginx's worker runs as another user (www-data, nobody) than the one that created the socket",
			"nginx 的 worker 进程用户（www-data、nobody）与创建套接字的用户不同"),
		try: explain.T("set chmod-socket = 666 (or 664 with a shared group) in the uWSGI ini",
			"在 uWSGI 的 ini 文件里设置 chmod-socket = 666（或共享用户组时用 664）"),
	},
	{
		msg: "connect() to unix:", has: "(11:",
		what: explain.T("502 Bad Gateway: the UNIX socket PEER turned the connection away",
			"502 网关错误：UNIX 套接字 PEER 拒绝了连接"),
		why: explain.T("uWSGI's listen queue is full: every worker is busy and the backlog (listen=, 100 by default) is used up",
			"uWSGI 的监听队列满了：所有 worker 都在忙，等待队列（listen=，默认 100）也用完了"),
		try: explain.T("add processes/threads, make the views faster, or raise listen=",
			"增加 processes/threads，优化视图，或调大 listen="),
	},
	{
		msg: "no live upstreams",
		what: explain.T("502 Bad Gateway: no server of the upstream may be tried",
			"502 网关错误：upstream 里没有可以尝试的服务器"),
		why: explain.T("every server is marked down, or failed max_fails times within fail_timeout, or this request already tried it",
			"所有服务器都被标记为 down，或在 fail_timeout 内失败了 max_fails 次，或本次请求已经试过它们"),
		try: explain.T("revive an instance; a disabled server is tried again after fail_timeout (10s by default)",
			"恢复一个实例；被停用的服务器在 fail_timeout（默认 10 秒）后会被重新尝试"),
	},
	{
		msg:  "upstream server temporarily disabled",
		what: explain.T("PEER is taken out of the rotation", "PEER 被暂时移出轮询"),
		why: explain.T("it failed max_fails times (1 by default); nginx skips it for fail_timeout",
			"它失败了 max_fails 次（默认 1 次）；nginx 在 fail_timeout 内跳过它"),
		try: explain.T("fix the instance; raise max_fails= on its server line to tolerate occasional failures",
			"修好这个实例；想容忍偶发失败，可以在 server 行上调大 max_fails="),
	},
	{
		msg: "upstream timed out", action: ActConnecting,
		what: explain.T("504 Gateway Time-out: PEER did not accept the connection in time",
			"504 网关超时：PEER 没有及时接受连接"),
		why: explain.T("no answer to connect() within *_connect_timeout: a firewall drops the packets, or the peer's backlog is full",
			"在 *_connect_timeout 内 connect() 没有回应：防火墙丢弃了数据包，或对端的连接队列已满"),
		try: explain.T("check the firewall and that the address is right", "检查防火墙，并确认地址正确"),
	},
	{
		msg: "upstream timed out", action: ActSending,
		what: explain.T("504 Gateway Time-out: PEER stopped taking the request", "504 网关超时：PEER 不再接收请求数据"),
		why: explain.T("the request body could not be written within *_send_timeout: the app is not reading it",
			"在 *_send_timeout 内请求体写不出去：应用没有读取它"),
		try: explain.T("check that the app reads wsgi.input, or add workers", "检查应用是否读取了 wsgi.input，或增加 worker"),
	},
	{
		msg: "upstream timed out", action: ActReadHead,
		what: explain.T("504 Gateway Time-out: the app at PEER did not start its answer in time",
			"504 网关超时：PEER 上的应用没有及时开始响应"),
		why: explain.T("nothing arrived within uwsgi_read_timeout (60s by default): a slow view, a locked database, or all workers busy",
			"在 uwsgi_read_timeout（默认 60 秒）内没有收到任何数据：视图太慢、数据库被锁，或所有 worker 都在忙"),
		try: explain.T("make the view faster, add processes/threads, or raise uwsgi_read_timeout",
			"优化视图，增加 processes/threads，或调大 uwsgi_read_timeout"),
	},
	{
		msg: "upstream timed out", action: ActReadBody,
		what: explain.T("the response from PEER stalled halfway", "来自 PEER 的响应中途停住了"),
		why: explain.T("no body bytes within the read timeout; the client gets a cut-off response",
			"在读超时时间内没有收到响应体数据；客户端收到的是被截断的响应"),
		try: explain.T("look at the app: a generator that blocks between chunks", "检查应用：是否有在两段数据之间阻塞的生成器"),
	},
	{
		msg: "upstream prematurely closed connection", action: ActReadHead,
		what: explain.T("502 Bad Gateway: PEER closed the connection without answering",
			"502 网关错误：PEER 没有响应就关闭了连接"),
		why: explain.T("the app raised an exception before start_response, harakiri killed the worker, or the instance stopped",
			"应用在 start_response 之前抛出了异常，harakiri 杀掉了 worker，或者实例停止了"),
		try: explain.T("read the instance's log for the traceback", "查看该实例的日志，找到异常的 traceback"),
	},
	{
		msg: "upstream prematurely closed connection", action: ActReadBody,
		what: explain.T("PEER closed before sending the whole body", "PEER 在发完响应体之前关闭了连接"),
		why: explain.T("it promised Content-Length bytes and sent fewer; the client gets a cut-off response",
			"它声明了 Content-Length，却少发了数据；客户端收到的是被截断的响应"),
		try: explain.T("read the instance's log: the app failed while producing the body",
			"查看实例日志：应用在生成响应体时出错了"),
	},
	{
		msg: "recv() failed (104", action: ActReadHead,
		what: explain.T("502 Bad Gateway: PEER reset the connection", "502 网关错误：PEER 重置了连接"),
		why: explain.T("usually uWSGI refusing a request bigger than its buffer-size (4096 bytes): long cookies or headers",
			"通常是 uWSGI 拒绝了超过 buffer-size（4096 字节）的请求：Cookie 或请求头太长"),
		try: explain.T("set buffer-size = 32768 in the uWSGI ini", "在 uWSGI 的 ini 文件里设置 buffer-size = 32768"),
	},
	{
		msg: "upstream sent too big header",
		what: explain.T("502 Bad Gateway: the response head from PEER does not fit the buffer",
			"502 网关错误：PEER 返回的响应头超出了缓冲区"),
		why: explain.T("status line and headers together exceed uwsgi_buffer_size (4k by default)",
			"状态行和响应头加起来超过了 uwsgi_buffer_size（默认 4k）"),
		try: explain.T("raise uwsgi_buffer_size (e.g. 16k), or send fewer and shorter headers",
			"调大 uwsgi_buffer_size（例如 16k），或减少、缩短响应头"),
	},
	{
		msg: "upstream sent invalid",
		what: explain.T("502 Bad Gateway: PEER's answer is not a valid HTTP head",
			"502 网关错误：PEER 的响应不是合法的 HTTP 响应头"),
		why: explain.T("the app wrote something other than a status line and headers, e.g. a stray print, or uwsgi_pass points at an http= port",
			"应用输出的不是状态行和响应头，例如多余的 print，或者 uwsgi_pass 指向了 http= 端口"),
		try: explain.T("use uwsgi_pass with uWSGI's socket= and proxy_pass with its http=", "uwsgi_pass 对应 uWSGI 的 socket=，proxy_pass 对应 http="),
	},
	{
		msg:  "upstream sent no valid HTTP/1.0 header",
		what: explain.T("the backend at PEER does not speak HTTP", "PEER 上的后端不说 HTTP"),
		why: explain.T("nginx passes its bytes on as an HTTP/0.9 body; often proxy_pass points at a uwsgi socket",
			"nginx 把收到的字节当作 HTTP/0.9 响应体原样转发；常见原因是 proxy_pass 指向了 uwsgi 套接字"),
		try: explain.T("use uwsgi_pass for uWSGI's socket=, proxy_pass for its http=", "uWSGI 的 socket= 用 uwsgi_pass，http= 用 proxy_pass"),
	},
	{
		msg:  "uwsgi request is too big",
		what: explain.T("500 Internal Server Error: the uwsgi packet would be too big", "500 服务器内部错误：uwsgi 数据包太大"),
		why: explain.T("the vars block's size is a 16-bit number: at most 65535 bytes of params and headers",
			"vars 块的长度是 16 位整数：参数和请求头加起来最多 65535 字节"),
		try: explain.T("send fewer or shorter headers and cookies", "减少或缩短请求头和 Cookie"),
	},
	{
		msg:  "epoll_wait() reported that client prematurely closed connection",
		what: explain.T("499: the client left before the answer", "499：客户端在响应之前离开了"),
		why: explain.T("the browser closed the connection while nginx waited for the app; nginx closed the app's connection too",
			"浏览器在 nginx 等待应用时关闭了连接；nginx 也关闭了与应用的连接"),
		try: explain.T("uwsgi_ignore_client_abort on lets the app finish anyway", "设置 uwsgi_ignore_client_abort on 可以让应用继续处理完"),
	},
	{
		msg: "writev() failed", action: ActSending,
		what: explain.T("502 Bad Gateway: sending the request to PEER failed", "502 网关错误：向 PEER 发送请求失败"),
		why:  explain.T("the peer closed or reset the connection while nginx was still sending", "nginx 还在发送时，对端关闭或重置了连接"),
		try:  explain.T("read the instance's log: it may refuse bodies or packets this big", "查看实例日志：它可能拒绝了这么大的请求体或数据包"),
	},
}
