# Display names (RFC 5322 3.4): the header shows them, the envelope does not.
scenario "Display names"
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
mailbox carol@hamburger.edu
link alice-pc crepes.fr      latency 2ms
link crepes.fr hamburger.edu latency 20ms
link bob-pc hamburger.edu    latency 2ms
at 0s alice-pc send to "Bob Smith" <bob@hamburger.edu>, "Smith, Carol" <carol@hamburger.edu> \
    cc "张三" <bob@hamburger.edu> from "Alice L." <alice@crepes.fr> subject "Names" body "Hi"
at 5s bob-pc pop3 fetch
