<%@ page session="false" contentType="text/plain" %><%
// A status and a redirect as the query asks, and two cookies.
response.addHeader("Set-Cookie", "a=1");
response.addHeader("Set-Cookie", "b=2");
if (request.getParameter("location") != null) {
    response.sendRedirect(request.getParameter("location"));
    return;
}
response.setStatus(Integer.parseInt(request.getParameter("code") == null ? "200" : request.getParameter("code")));
out.println("status page");
%>
