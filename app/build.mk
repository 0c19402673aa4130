# The HTTP/1.1 server. The parser, path, range, conditional, MIME and
# response modules are pure (no network, file system or driver calls) and
# are unit-tested on the host.
KERNEL_SRCS += \
	app/access_fmt.c \
	app/access_log.c \
	app/body_event.c \
	app/body_thread.c \
	app/http_cond.c \
	app/http_parser.c \
	app/http_path.c \
	app/http_prio.c \
	app/http_range.c \
	app/http_response.c \
	app/http_str.c \
	app/http_trace.c \
	app/mime.c \
	app/page_writer.c \
	app/profile_folded.c \
	app/prio.c \
	app/respond.c \
	app/sendfile.c \
	app/server.c \
	app/stats.c \
	app/trace_json.c
