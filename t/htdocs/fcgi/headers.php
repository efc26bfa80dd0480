<?php
// Status, Location and repeated fields as the query asks.
if (isset($_GET['status'])) {
    header('Status: ' . $_GET['status']);
}
if (isset($_GET['location'])) {
    header('Location: ' . $_GET['location']);
}
header('Set-Cookie: a=1', false);
header('Set-Cookie: b=2', false);
header('X-Fcgi: yes');
echo "headers\n";
