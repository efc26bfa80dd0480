<%@ page session="false" contentType="application/octet-stream" trimDirectiveWhitespaces="true" %><%
// n bytes (default 256 KiB) of the test origin's 64-byte line pattern,
// written in 64 KiB pieces.
long n = request.getParameter("n") == null ? 262144 : Long.parseLong(request.getParameter("n"));
String line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n";
StringBuilder sb = new StringBuilder(65536);
for (int i = 0; i < 1024; i++) {
    sb.append(line);
}
String block = sb.toString();
while (n > 0) {
    int k = (int)Math.min(n, block.length());
    out.write(block, 0, k);
    n -= k;
}
%>
