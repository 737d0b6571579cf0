process.stdout.write('sealed-fields: not built yet\n');
