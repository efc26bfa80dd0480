<%@ page session="false" contentType="text/plain" %><%--
  Licensed under the Apache License, Version 2.0.
  The hello-world page of the ajp rows of bench/relay-bench: 22 bytes that
  only Jasper makes (this file served as it is would show its source).
--%>hello from <%= "tomcat-ajp" %>
