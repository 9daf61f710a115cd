from bench.attack.run import main

raise SystemExit(main())
