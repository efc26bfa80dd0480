<%@ page session="false" contentType="text/plain; charset=UTF-8" import="java.util.*,java.security.MessageDigest" %><%
// What the servlet container sees of the request, one "name: value" line
// each (t/modules/proxy_ajp.t).
out.println("method: " + request.getMethod());
out.println("uri: " + request.getRequestURI());
out.println("query: " + request.getQueryString());
out.println("protocol: " + request.getProtocol());
out.println("scheme: " + request.getScheme());
out.println("secure: " + request.isSecure());
out.println("remote-addr: " + request.getRemoteAddr());
out.println("remote-port: " + request.getRemotePort());
out.println("local-addr: " + request.getLocalAddr());
out.println("local-port: " + request.getLocalPort());
out.println("server-name: " + request.getServerName());
out.println("server-port: " + request.getServerPort());
out.println("remote-user: " + request.getRemoteUser());
out.println("auth-type: " + request.getAuthType());
out.println("cipher: " + request.getAttribute("jakarta.servlet.request.cipher_suite"));
out.println("key-size: " + request.getAttribute("jakarta.servlet.request.key_size"));
out.println("ssl-session: " + request.getAttribute("jakarta.servlet.request.ssl_session_id"));
Object certs = request.getAttribute("jakarta.servlet.request.X509Certificate");
out.println("client-cert: " + (certs == null ? "null" : "present"));
out.println("include-path: " + request.getAttribute("jakarta.servlet.include.request_uri"));
for (Enumeration<String> e = request.getHeaderNames(); e.hasMoreElements();) {
    String n = e.nextElement();
    for (Enumeration<String> v = request.getHeaders(n); v.hasMoreElements();) {
        out.println("header: " + n.toLowerCase() + ": " + v.nextElement());
    }
}
// The session: made with ?session, else the one the request names if this
// engine knows it ("none" otherwise).
jakarta.servlet.http.HttpSession hs = request.getSession(request.getParameter("session") != null);
out.println("session: " + (hs == null ? "none" : hs.getId()));
MessageDigest md = MessageDigest.getInstance("MD5");
java.io.InputStream in = request.getInputStream();
byte[] buf = new byte[65536];
long n = 0;
int r;
while ((r = in.read(buf)) > 0) {
    md.update(buf, 0, r);
    n += r;
}
StringBuilder hex = new StringBuilder();
for (byte b : md.digest()) {
    hex.append(String.format("%02x", b));
}
out.println("body-length: " + n);
out.println("body-md5: " + hex);
%>
