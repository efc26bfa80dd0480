<?php
// A message PHP-FPM sends on the FastCGI stderr stream, and a body.
error_log('relay-stderr-line ' . ($_GET['tag'] ?? ''));
echo "body\n";
