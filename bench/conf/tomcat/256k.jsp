<%@ page session="false" contentType="application/octet-stream"
    buffer="64kb" %><%--
  Licensed under the Apache License, Version 2.0.
  The 256 KiB page of the ajp rows of bench/relay-bench: the kilobyte the
  files of the benchmark repeat (printable ASCII in a fixed order: byte i
  is 32 + 7i mod 95), made once, written 256 times, as a page built in
  memory is sent.
--%><%!
private static final String KIB;
static {
    StringBuilder sb = new StringBuilder(1024);
    for (int i = 0; i < 1024; i++) {
        sb.append((char) (32 + (i * 7) % 95));
    }
    KIB = sb.toString();
}
%><%
for (int i = 0; i < 256; i++) {
    out.write(KIB);
}
%>