<?php
// A first piece, flushed, then a pause before the rest.
header('Content-Type: text/plain');
echo "first\n";
while (ob_get_level()) {
    ob_end_flush();
}
flush();
usleep((int)($_GET['ms'] ?? 1500) * 1000);
echo "second\n";
