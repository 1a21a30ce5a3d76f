document.getElementById("status").textContent = "JavaScript ran: served at " + document.baseURI;
